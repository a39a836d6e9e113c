"""The SLA policy in force: the contract's targets over the configured support calendar and
the company's closures table, rebuilt only when that table changes (calendars cache years)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from atende.ops.calendar import (
    BusinessCalendar,
    Closure,
    CoverageCalendar,
    WorkingHours,
    around_the_clock,
    brazil_holidays,
    calendar_days,
)
from atende.ops.settings import OpsSettings
from atende.ops.severity import Severity
from atende.ops.sla import CONTRACT_TARGETS, SlaPolicy


def coverage_name(hours: WorkingHours) -> str:
    """ "9x5" for nine hours a day, five days a week: the contract's own shorthand."""
    closes = _minutes(hours.closes) or 24 * 60
    return f"{(closes - _minutes(hours.opens)) / 60:g}x{len(hours.weekdays)}"


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


class PolicyStore:
    def __init__(self, settings: OpsSettings) -> None:
        self.settings = settings
        self._closures: tuple[Closure, ...] | None = None
        self._policy: SlaPolicy | None = None

    def policy(self, closures: Sequence[Closure]) -> SlaPolicy:
        key = tuple(closures)
        if self._policy is None or key != self._closures:
            self._policy = self._build(key)
            self._closures = key
        return self._policy

    def _build(self, closures: tuple[Closure, ...]) -> SlaPolicy:
        hours = self.settings.support_hours
        coverage = CoverageCalendar(
            coverage_name(hours),
            zone=self.settings.timezone,
            hours=hours,
            holidays=brazil_holidays(self.settings.holidays_subdivision),
            closures=closures,
        )
        calendars: list[BusinessCalendar] = [coverage, around_the_clock(), calendar_days()]
        return SlaPolicy(
            targets=CONTRACT_TARGETS,
            calendars={calendar.name: calendar for calendar in calendars},
            calendar_by_severity=dict.fromkeys(Severity, coverage.name),
            outage_calendar=around_the_clock().name,
        )
