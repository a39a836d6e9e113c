"""Component statuses and the status page's daily uptime bars, from outage intervals.

A major outage counts fully as downtime and a partial outage at 30%, the weighting public status
pages commonly use; degraded performance and maintenance do not count as downtime.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from atende.ops.severity import Severity


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def rank(self) -> int:
        return list(ComponentStatus).index(self)


_LABELS = {
    ComponentStatus.OPERATIONAL: "Operacional",
    ComponentStatus.UNDER_MAINTENANCE: "Em manutenção",
    ComponentStatus.DEGRADED_PERFORMANCE: "Desempenho degradado",
    ComponentStatus.PARTIAL_OUTAGE: "Interrupção parcial",
    ComponentStatus.MAJOR_OUTAGE: "Interrupção total",
}
_DOWNTIME_WEIGHT = {ComponentStatus.MAJOR_OUTAGE: 1.0, ComponentStatus.PARTIAL_OUTAGE: 0.3}


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    return max(statuses, key=lambda status: status.rank, default=ComponentStatus.OPERATIONAL)


def incident_impact(severity: Severity, total_outage: bool) -> ComponentStatus:
    """What an unrestored incident does to its component's status."""
    if total_outage:
        return ComponentStatus.MAJOR_OUTAGE
    if severity is Severity.ALTA:
        return ComponentStatus.PARTIAL_OUTAGE
    if severity is Severity.MEDIA:
        return ComponentStatus.DEGRADED_PERFORMANCE
    return ComponentStatus.OPERATIONAL


@dataclass(frozen=True)
class Outage:
    """An interval during which a component had a status; `end=None` while it lasts."""

    start: datetime
    end: datetime | None
    status: ComponentStatus


@dataclass(frozen=True)
class DayBar:
    day: date
    uptime: float
    status: ComponentStatus
    downtime: timedelta


def daily_bars(
    outages: Sequence[Outage], *, last_day: date, days: int, zone: str, now: datetime
) -> list[DayBar]:
    """One bar per local day, oldest first, ending with `last_day`."""
    tz = ZoneInfo(zone)
    bars = []
    for offset in range(days - 1, -1, -1):
        day = last_day - timedelta(days=offset)
        start = datetime.combine(day, time(0), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        bars.append(_bar(day, start, end, outages, now))
    return bars


def _bar(
    day: date, start: datetime, end: datetime, outages: Sequence[Outage], now: datetime
) -> DayBar:
    """Overlapping outages count once, at the heaviest weight active at each moment; nothing
    after `now` counts (a maintenance window later today has not happened yet)."""
    until = min(now, end)
    spans = [
        (max(outage.start, start), min(outage.end or until, until), outage.status)
        for outage in outages
        if min(outage.end or until, until) > max(outage.start, start)
    ]
    cuts = sorted({instant for first, last, _ in spans for instant in (first, last)})
    downtime = timedelta(0)
    for first, last in pairwise(cuts):
        active = [status for a, b, status in spans if a <= first and b >= last]
        downtime += (last - first) * max(
            (_DOWNTIME_WEIGHT.get(s, 0.0) for s in active), default=0.0
        )
    status = worst(status for _, _, status in spans)
    return DayBar(day, 1 - downtime / (end - start), status, downtime)


def overall_uptime(bars: Sequence[DayBar]) -> float:
    return sum(bar.uptime for bar in bars) / len(bars) if bars else 1.0
