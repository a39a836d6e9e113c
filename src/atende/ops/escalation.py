"""When an incident climbs the escalation list: a level is engaged once a clock still counting
has used its share of the target; levels without a share are engaged only on demand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from atende.ops.sla import ClockState, ClockStatus, SlaPolicy, SlaStatus


@dataclass(frozen=True)
class LevelRule:
    position: int
    at_share: float | None


def level_due(rules: Sequence[LevelRule], status: SlaStatus) -> int:
    """The highest level whose share a counting clock has reached (level 1 at least)."""
    used = max((clock.consumed for clock in _counting(status)), default=0.0)
    reached = [
        rule.position for rule in rules if rule.at_share is not None and used >= rule.at_share
    ]
    return max([1, *reached])


def next_escalation_at(
    rules: Sequence[LevelRule], status: SlaStatus, policy: SlaPolicy, level: int, now: datetime
) -> datetime | None:
    """When the next share above `level` will be reached if nothing changes; `None` when no
    clock is running (paused, stopped) or no automatic level is left."""
    shares = [
        rule.at_share for rule in rules if rule.position > level and rule.at_share is not None
    ]
    running = [clock for clock in _counting(status) if clock.state is not ClockState.PAUSED]
    if not shares or not running or status.paused:
        return None
    calendar = policy.calendar(status.calendar)
    instants = []
    for clock in running:
        for share in shares:
            left = clock.target * share - clock.elapsed
            instants.append(now if left <= timedelta(0) else calendar.add(now, left))
    return min(instants)


def _counting(status: SlaStatus) -> list[ClockStatus]:
    return [clock for clock in (status.response, status.restoration) if clock.stopped_at is None]
