"""SLA clocks and the monthly SLA report at scale.

* Clocks, in memory: 100,000 incident histories (pauses, severity changes, total outages,
  reopenings) read with the contract's 9x5 São Paulo calendar. Baseline in the same run: the
  same replay with the around-the-clock calendar, i.e. the cost of the history walk alone, so
  the ratio is what business-time arithmetic adds.
* Clocks from the database: the same 100,000 incidents stored with their timelines (about
  430,000 rows), read back and every clock computed. Baseline: a plain query fetching the
  same timeline rows.
* Monthly report over a year of incidents: the twelve reports of 2026 built from the database,
  per report. Baseline: a plain query fetching one month's incidents and timeline rows.

SQLite always; PostgreSQL too when `ATENDE_BENCH_POSTGRES_URL` (or `ATENDE_TEST_DATABASE_URL`)
is set, in a database of its own that is dropped afterwards.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import harness
from sqlalchemy import Table, insert, select, text

from atende.db.engine import create_engine, session_factory
from atende.db.migrate import upgrade
from atende.ops.calendar import around_the_clock
from atende.ops.context import OpsContext
from atende.ops.history import (
    HistoryEvent,
)
from atende.ops.models import Incident, IncidentEntry
from atende.ops.report import Month
from atende.ops.report_service import ReportService
from atende.ops.settings import OpsSettings
from atende.ops.severity import Severity
from atende.ops.sla import SlaPolicy, contract_policy, sla_status
from atende.ops.timeline import EntryKind, to_history

INCIDENTS = 100_000
YEAR = 2026
NOW = datetime(YEAR + 1, 1, 15, tzinfo=UTC)
CLOCKS_GOAL = 10_000.0  # incidents a second, in memory: a year of incidents in 10 s
DB_CLOCKS_GOAL = 5_000.0  # incidents a second, from the database
REPORT_GOAL = 2.0  # seconds for one month's report (about 8,300 incidents)

Entry = tuple[EntryKind, datetime, dict[str, Any]]
# Seeded through Core: the ORM would build 100,000 objects before a single INSERT.
INCIDENT_TABLE = cast(Table, Incident.__table__)
ENTRY_TABLE = cast(Table, IncidentEntry.__table__)


def _timeline(rng: random.Random) -> list[Entry]:
    """A plausible incident: most answered within hours, some paused, a few reclassified."""
    opened = datetime(YEAR, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 364 * 86400))
    severity = rng.choices(list(Severity), weights=(2, 5, 3))[0]
    total = severity is Severity.ALTA and rng.random() < 0.3
    entries: list[Entry] = [
        (EntryKind.OPENED, opened, {"severity": severity.value, "total_outage": total})
    ]
    now = opened
    if rng.random() < 0.05:
        now += timedelta(minutes=rng.uniform(5, 120))
        other = rng.choice([s for s in Severity if s is not severity])
        entries.append((EntryKind.SEVERITY_CHANGED, now, {"severity": other.value, "reason": "x"}))
    now += timedelta(minutes=rng.expovariate(1 / 60))
    entries.append((EntryKind.RESPONSE_STARTED, now, {}))
    if rng.random() < 0.3:
        now += timedelta(minutes=rng.uniform(5, 60))
        entries.append((EntryKind.PAUSED, now, {"reason": "aguardando terceiros"}))
        now += timedelta(hours=rng.uniform(0.5, 48))
        entries.append((EntryKind.RESUMED, now, {}))
    now += timedelta(minutes=rng.expovariate(1 / 240))
    entries.append((EntryKind.RESTORED, now, {}))
    if rng.random() < 0.03:
        now += timedelta(hours=rng.uniform(1, 72))
        entries.append((EntryKind.REOPENED, now, {"reason": "voltou"}))
        now += timedelta(minutes=rng.expovariate(1 / 120))
        entries.append((EntryKind.RESTORED, now, {}))
    return entries


def generate() -> list[list[Entry]]:
    rng = random.Random(6)
    return [_timeline(rng) for _ in range(INCIDENTS)]


class _Row:
    """What `to_history` reads from a stored entry."""

    __slots__ = ("at", "data", "kind")

    def __init__(self, kind: str, at: datetime, data: dict[str, Any]) -> None:
        self.kind, self.at, self.data = kind, at, data


def histories(timelines: list[list[Entry]]) -> list[list[HistoryEvent]]:
    return [to_history(_Row(kind.value, at, data) for kind, at, data in tl) for tl in timelines]


def _per_second(count: int, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def memory_figures(all_histories: list[list[HistoryEvent]]) -> list[dict[str, Any]]:
    business = contract_policy()
    outage = around_the_clock()
    wall = SlaPolicy(
        targets=business.targets,
        calendars={outage.name: outage},
        calendar_by_severity=dict.fromkeys(Severity, outage.name),
        outage_calendar=outage.name,
    )
    sla_status(all_histories[0], business, NOW)  # build the calendar's year tables once

    def read(policy: SlaPolicy) -> Callable[[], object]:
        return lambda: [sla_status(history, policy, NOW) for history in all_histories]

    value = _per_second(len(all_histories), read(business))
    baseline = _per_second(len(all_histories), read(wall))
    return [
        _entry(
            "ops: SLA clocks, 9x5 São Paulo (in memory)",
            value,
            "incidents/s",
            baseline,
            f">= {CLOCKS_GOAL:,.0f}",
            value >= CLOCKS_GOAL,
        )
    ]


async def seed(database_url: str, timelines: list[list[Entry]]) -> None:
    await asyncio.to_thread(upgrade, database_url)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for start in range(0, len(timelines), 5_000):
                chunk = timelines[start : start + 5_000]
                incidents = [_incident_row(start + offset, tl) for offset, tl in enumerate(chunk)]
                await connection.execute(insert(INCIDENT_TABLE), incidents)
                entries = [
                    {
                        "incident_id": start + offset + 1,
                        "kind": kind.value,
                        "at": at,
                        "actor": "bench",
                        "data": data,
                        "public": False,
                        "recorded_at": at,
                    }
                    for offset, tl in enumerate(chunk)
                    for kind, at, data in tl
                ]
                await connection.execute(insert(ENTRY_TABLE), entries)
    finally:
        await engine.dispose()


def _incident_row(index: int, timeline: list[Entry]) -> dict[str, Any]:
    _, opened, data = timeline[0]
    severity = next(
        (d["severity"] for k, _, d in reversed(timeline) if k is EntryKind.SEVERITY_CHANGED),
        data["severity"],
    )
    restored = [at for k, at, _ in timeline if k is EntryKind.RESTORED][-1]
    return {
        "id": index + 1,
        "sid": f"IN{index + 1:032x}",
        "title": f"incidente {index + 1}",
        "description": "",
        "component": "voice",
        "affected_users_pct": 0.0,
        "total_outage": data["total_outage"],
        "severity": severity,
        "proposed_severity": data["severity"],
        "status": "restored",
        "paused": False,
        "reporter": "bench",
        "external_refs": [],
        "escalation_level": 1,
        "opened_at": opened,
        "restored_at": restored,
        "public": True,
        "imported": True,
        "date_created": opened,
        "date_updated": opened,
    }


async def _timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def database_figures(label: str, database_url: str) -> list[dict[str, Any]]:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    settings = OpsSettings()
    context = OpsContext(settings, public_url="http://bench", clock=lambda: NOW)
    policy = contract_policy()
    try:

        async def all_clocks() -> None:
            async with sessions() as session:
                rows = await session.execute(
                    select(
                        IncidentEntry.incident_id,
                        IncidentEntry.kind,
                        IncidentEntry.at,
                        IncidentEntry.data,
                    ).order_by(IncidentEntry.incident_id, IncidentEntry.at, IncidentEntry.id)
                )
                grouped: dict[int, list[_Row]] = {}
                for incident_id, kind, at, data in rows:
                    grouped.setdefault(incident_id, []).append(_Row(kind, at, data))
            for timeline in grouped.values():
                sla_status(to_history(timeline), policy, NOW)

        async def plain_rows() -> None:
            async with sessions() as session:
                result = await session.execute(
                    text("SELECT incident_id, kind, at, data FROM incident_entries")
                )
                result.all()

        clocks = INCIDENTS / await _timed(all_clocks)
        plain = INCIDENTS / await _timed(plain_rows)

        async def twelve_reports() -> None:
            for month in range(1, 13):
                async with sessions() as session:
                    await ReportService(session, context).monthly(Month(YEAR, month))

        async def one_month_plain() -> None:
            start, end = Month(YEAR, 6).bounds(settings.timezone)
            async with sessions() as session:
                await session.execute(
                    text("SELECT * FROM incidents WHERE opened_at >= :a AND opened_at < :b"),
                    {"a": start, "b": end},
                )
                rows = await session.execute(
                    text(
                        "SELECT e.* FROM incident_entries e"
                        " JOIN incidents i ON i.id = e.incident_id"
                        " WHERE i.opened_at >= :a AND i.opened_at < :b"
                    ),
                    {"a": start, "b": end},
                )
                rows.all()

        report = await _timed(twelve_reports) / 12
        report_plain = await _timed(one_month_plain)
    finally:
        await engine.dispose()
    return [
        _entry(
            f"ops: SLA clocks from the database ({label})",
            clocks,
            "incidents/s",
            plain,
            f">= {DB_CLOCKS_GOAL:,.0f}",
            clocks >= DB_CLOCKS_GOAL,
        ),
        _entry(
            f"ops: monthly SLA report, one month of a year ({label})",
            report,
            "s",
            report_plain,
            f"<= {REPORT_GOAL:g} s",
            report <= REPORT_GOAL,
        ),
    ]


async def postgres(admin_url: str, timelines: list[list[Entry]]) -> list[dict[str, Any]]:
    with harness.postgres_database(admin_url, "atende_bench_ops_") as url:
        await seed(url, timelines)
        return await database_figures("PostgreSQL", url)


def _entry(
    name: str, value: float, unit: str, baseline: float, goal: str, meets: bool
) -> dict[str, Any]:
    """Rounded to 3 digits: the report's figure is a fraction of a second."""
    return harness.entry(name, value, unit, baseline, goal, meets, digits=3)


async def _run() -> list[dict[str, Any]]:
    timelines = generate()
    results = memory_figures(histories(timelines))
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        await seed(url, timelines)
        results += await database_figures("SQLite", url)
    admin_url = harness.postgres_server_url()
    if admin_url:
        results += await postgres(admin_url, timelines)
    return results


def run() -> list[dict[str, Any]]:
    return asyncio.run(_run())


if __name__ == "__main__":
    for row in run():
        print(row)
