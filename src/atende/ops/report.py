"""The monthly SLA report: per severity, realized against target, and every breach with its
reason. Pure: it takes the incidents' clocks already read, and knows nothing of storage."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from atende.ops.severity import Severity
from atende.ops.sla import ClockName, ClockState, ClockStatus, SlaPolicy

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CLOCK_LABELS = {
    ClockName.RESPONSE: "início do atendimento",
    ClockName.RESTORATION: "restabelecimento",
}


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"month must look like 2026-10, not {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The month's first and next month's first local midnight, in UTC."""
        tz = ZoneInfo(zone)
        first = date(self.year, self.month, 1)
        following = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return (
            datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC),
            datetime.combine(following, time(0), tzinfo=tz).astimezone(UTC),
        )


@dataclass(frozen=True)
class IncidentOutcome:
    sid: str
    title: str
    severity: Severity
    opened_at: datetime
    response: ClockStatus
    restoration: ClockStatus
    breach_reason: str | None = None


@dataclass(frozen=True)
class ClockFigures:
    """One clock of one severity over the month; shares count only decided clocks."""

    target: timedelta
    met: int
    breached: int
    pending: int
    mean: timedelta | None
    median: timedelta | None

    @property
    def share_within(self) -> float | None:
        decided = self.met + self.breached
        return self.met / decided if decided else None


@dataclass(frozen=True)
class SeverityFigures:
    severity: Severity
    incidents: int
    response: ClockFigures
    restoration: ClockFigures


@dataclass(frozen=True)
class Breach:
    sid: str
    title: str
    severity: Severity
    clock: ClockName
    breached_by: timedelta
    reason: str


@dataclass(frozen=True)
class MonthlyReport:
    month: Month
    zone: str
    severities: list[SeverityFigures]
    breaches: list[Breach]
    generated_at: datetime

    @property
    def incidents(self) -> int:
        return sum(row.incidents for row in self.severities)


def build_report(
    month: Month,
    outcomes: Sequence[IncidentOutcome],
    policy: SlaPolicy,
    *,
    zone: str,
    generated_at: datetime,
) -> MonthlyReport:
    severities = []
    for severity in Severity:
        mine = [outcome for outcome in outcomes if outcome.severity is severity]
        targets = policy.targets[severity]
        severities.append(
            SeverityFigures(
                severity=severity,
                incidents=len(mine),
                response=_figures([o.response for o in mine], targets.response),
                restoration=_figures([o.restoration for o in mine], targets.restoration),
            )
        )
    breaches = [
        Breach(
            sid=outcome.sid,
            title=outcome.title,
            severity=outcome.severity,
            clock=clock.name,
            breached_by=clock.breached_by,
            reason=outcome.breach_reason or _default_reason(clock),
        )
        for outcome in sorted(outcomes, key=lambda o: o.opened_at)
        for clock in (outcome.response, outcome.restoration)
        if clock.state is ClockState.BREACHED
    ]
    return MonthlyReport(month, zone, severities, breaches, generated_at)


def _figures(clocks: Sequence[ClockStatus], target: timedelta) -> ClockFigures:
    finished = [clock.elapsed for clock in clocks if clock.stopped_at is not None]
    return ClockFigures(
        target=target,
        met=sum(1 for clock in clocks if clock.state is ClockState.MET),
        breached=sum(1 for clock in clocks if clock.state is ClockState.BREACHED),
        pending=sum(
            1 for clock in clocks if clock.state in (ClockState.RUNNING, ClockState.PAUSED)
        ),
        mean=_mean(finished),
        median=_median(finished),
    )


def _mean(values: Sequence[timedelta]) -> timedelta | None:
    return sum(values, timedelta(0)) / len(values) if values else None


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _default_reason(clock: ClockStatus) -> str:
    where = "ainda sem conclusão" if clock.stopped_at is None else "concluído"
    return f"{CLOCK_LABELS[clock.name]} {format_duration(clock.breached_by)} após o prazo ({where})"


def format_duration(value: timedelta) -> str:
    """Business time as people say it: "1 h 05 min", "45 min"."""
    minutes = round(value.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
