"""SLA policy and the two clocks of an incident (response start, restoration), from its history.

Rules the clocks follow, all taken from the support contract:
- the targets are those of the incident's current severity, applied from opening: a
  reclassification says what the incident always was;
- time counts in the calendar in force at each moment: the severity's coverage calendar, the
  around-the-clock one while there is a total outage, or one chosen explicitly;
- nothing counts while paused (waiting on others), nor after the clock stopped;
- restoring implies a response; resolving or closing stops every clock; reopening makes the
  restoration clock count again from where it stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from atende.ops.calendar import (
    BusinessCalendar,
    around_the_clock,
    from_microseconds,
    nine_to_five,
    to_microseconds,
)
from atende.ops.history import (
    CalendarChanged,
    Closed,
    HistoryEvent,
    Opened,
    Paused,
    Reopened,
    Resolved,
    ResponseStarted,
    Restored,
    Resumed,
    SeverityChanged,
    TotalOutageChanged,
)
from atende.ops.severity import Severity

_US = timedelta(microseconds=1)


class ClockName(StrEnum):
    RESPONSE = "response"
    RESTORATION = "restoration"


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True)
class Targets:
    response: timedelta
    restoration: timedelta

    def __post_init__(self) -> None:
        if self.response <= timedelta(0) or self.restoration <= timedelta(0):
            raise ValueError("SLA targets must be positive")

    def of(self, clock: ClockName) -> timedelta:
        return self.response if clock is ClockName.RESPONSE else self.restoration


CONTRACT_TARGETS: Mapping[Severity, Targets] = {
    Severity.ALTA: Targets(timedelta(minutes=30), timedelta(hours=2)),
    Severity.MEDIA: Targets(timedelta(hours=2), timedelta(hours=4)),
    Severity.BAIXA: Targets(timedelta(hours=4), timedelta(hours=24)),
}


@dataclass(frozen=True)
class SlaPolicy:
    """Targets per severity and the calendars they count in, referred to by name."""

    targets: Mapping[Severity, Targets]
    calendars: Mapping[str, BusinessCalendar]
    calendar_by_severity: Mapping[Severity, str]
    outage_calendar: str

    def __post_init__(self) -> None:
        missing = set(Severity) - set(self.targets)
        if missing:
            raise ValueError(f"no targets for severities {sorted(missing)}")
        for name in (*self.calendar_by_severity.values(), self.outage_calendar):
            self.calendar(name)
        if set(Severity) - set(self.calendar_by_severity):
            raise ValueError("every severity needs a calendar")

    def calendar(self, name: str) -> BusinessCalendar:
        try:
            return self.calendars[name]
        except KeyError:
            raise ValueError(f"unknown calendar {name!r}") from None


def contract_policy(coverage: BusinessCalendar | None = None) -> SlaPolicy:
    """The contract as signed: 9x5 in São Paulo for every severity, 24x7 for a total outage."""
    coverage = coverage or nine_to_five()
    outage = around_the_clock()
    return SlaPolicy(
        targets=CONTRACT_TARGETS,
        calendars={coverage.name: coverage, outage.name: outage},
        calendar_by_severity=dict.fromkeys(Severity, coverage.name),
        outage_calendar=outage.name,
    )


@dataclass(frozen=True)
class ClockStatus:
    """One clock as of the evaluation instant.

    `due_at` is when the elapsed time reached (or will reach, if nothing changes) the target;
    it is unknown (`None`) while paused short of the target.
    """

    name: ClockName
    target: timedelta
    elapsed: timedelta
    state: ClockState
    due_at: datetime | None
    stopped_at: datetime | None

    @property
    def remaining(self) -> timedelta:
        return max(self.target - self.elapsed, timedelta(0))

    @property
    def breached_by(self) -> timedelta:
        return max(self.elapsed - self.target, timedelta(0))

    @property
    def consumed(self) -> float:
        """Share of the target used so far (1.0 at the deadline), for escalation thresholds."""
        return self.elapsed / self.target


@dataclass(frozen=True)
class SlaStatus:
    severity: Severity
    calendar: str
    total_outage: bool
    paused: bool
    pause_reason: str | None
    response: ClockStatus
    restoration: ClockStatus

    def clock(self, name: ClockName) -> ClockStatus:
        return self.response if name is ClockName.RESPONSE else self.restoration


@dataclass
class _Clock:
    """Running totals of one clock while the history is replayed."""

    name: ClockName
    target: int
    elapsed: int = 0
    due_at: int | None = None
    stopped_at: int | None = None
    # Where the deadline would have been, for a clock stopped short of its target.
    projected_due: int | None = None

    def stop(self, at: int, calendar: BusinessCalendar) -> None:
        if self.stopped_at is None:
            self.stopped_at = at
            if self.due_at is None:
                self.projected_due = calendar.add_us(at, self.target - self.elapsed)

    def restart(self) -> None:
        self.stopped_at = self.projected_due = None

    def count(self, calendar: BusinessCalendar, start: int, covered: int) -> None:
        """Add `covered` time counted from `start`; note the instant the target is reached."""
        if self.due_at is None and self.elapsed + covered >= self.target:
            self.due_at = calendar.add_us(start, self.target - self.elapsed)
        self.elapsed += covered


@dataclass
class _Replay:
    """The incident's situation between two events of its history."""

    severity: Severity
    total_outage: bool
    paused: bool = False
    pause_reason: str | None = None
    calendar_override: str | None = None
    clocks: dict[ClockName, _Clock] = field(default_factory=dict)

    @classmethod
    def start(cls, opened: Opened, severity: Severity, targets: Targets) -> _Replay:
        clocks = {name: _Clock(name, targets.of(name) // _US) for name in ClockName}
        return cls(severity=severity, total_outage=opened.total_outage, clocks=clocks)

    def apply(self, event: HistoryEvent, at: int, policy: SlaPolicy) -> None:
        response = self.clocks[ClockName.RESPONSE]
        restoration = self.clocks[ClockName.RESTORATION]
        match event:
            case TotalOutageChanged(total_outage=total_outage):
                self.total_outage = total_outage
            case Paused(reason=reason) if not self.paused:
                self.paused, self.pause_reason = True, reason
            case Resumed():
                self.paused, self.pause_reason = False, None
            case ResponseStarted():
                response.stop(at, self.calendar(policy))
            case Restored() | Resolved() | Closed():
                calendar = self.calendar(policy)
                response.stop(at, calendar)
                restoration.stop(at, calendar)
                self.paused, self.pause_reason = False, None
            case Reopened():
                restoration.restart()
                self.paused, self.pause_reason = False, None
            case CalendarChanged(calendar=name):
                self.calendar_override = name

    def calendar(self, policy: SlaPolicy) -> BusinessCalendar:
        if self.calendar_override is not None:
            return policy.calendar(self.calendar_override)
        if self.total_outage:
            return policy.calendar(policy.outage_calendar)
        return policy.calendar(policy.calendar_by_severity[self.severity])


def sla_status(history: Sequence[HistoryEvent], policy: SlaPolicy, now: datetime) -> SlaStatus:
    """Replay the history up to `now` (later events are ignored) and read both clocks."""
    end = to_microseconds(now)
    timed = sorted(
        (moment, index, event)
        for index, event in enumerate(history)
        if (moment := to_microseconds(event.at)) <= end
    )
    events = [event for _, _, event in timed]
    if not events or not isinstance(events[0], Opened):
        raise ValueError("an incident's history starts with its opening")
    severity = _current_severity(events)
    replay = _Replay.start(events[0], severity, policy.targets[severity])
    clocks = list(replay.clocks.values())
    for position, (at, _, event) in enumerate(timed):
        replay.apply(event, at, policy)
        until = timed[position + 1][0] if position + 1 < len(timed) else end
        running = [clock for clock in clocks if clock.stopped_at is None]
        if replay.paused or until <= at or not running:
            continue
        calendar = replay.calendar(policy)
        covered = calendar.measure_us(at, until)
        for clock in running:
            clock.count(calendar, at, covered)
    calendar = replay.calendar(policy)
    return SlaStatus(
        severity=severity,
        calendar=calendar.name,
        total_outage=replay.total_outage,
        paused=replay.paused,
        pause_reason=replay.pause_reason,
        response=_read(replay.clocks[ClockName.RESPONSE], replay, calendar, end),
        restoration=_read(replay.clocks[ClockName.RESTORATION], replay, calendar, end),
    )


def _current_severity(events: Sequence[HistoryEvent]) -> Severity:
    severity = None
    for event in events:
        if isinstance(event, Opened | SeverityChanged):
            severity = event.severity
    assert severity is not None  # the history starts with Opened
    return severity


def _read(clock: _Clock, replay: _Replay, calendar: BusinessCalendar, now: int) -> ClockStatus:
    elapsed, target = clock.elapsed, clock.target
    due_at = clock.due_at
    if clock.stopped_at is not None:
        state = ClockState.BREACHED if elapsed > target else ClockState.MET
        due_at = clock.due_at if clock.due_at is not None else clock.projected_due
    elif elapsed > target:
        state = ClockState.BREACHED
    elif replay.paused:
        state = ClockState.PAUSED
    else:
        state = ClockState.RUNNING
        if due_at is None:
            due_at = calendar.add_us(now, target - elapsed)
    return ClockStatus(
        name=clock.name,
        target=timedelta(microseconds=target),
        elapsed=timedelta(microseconds=elapsed),
        state=state,
        due_at=None if due_at is None else from_microseconds(due_at),
        stopped_at=None if clock.stopped_at is None else from_microseconds(clock.stopped_at),
    )
