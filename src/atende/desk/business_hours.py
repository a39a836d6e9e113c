"""The contact center's business hours, as administrators set them in /admin, turned into the
"atendimento" calendar the flows' out-of-hours check asks (voice and the WhatsApp bot).

The calendar is the week's hours, day by day, minus public holidays (São Paulo) and the
company's own closures (the operations table, shared with the support calendar). Saving the
hours installs a new calendar at once on this node; every node also re-reads hours and
closures every few seconds, so a closure added, or hours saved on another node, apply soon
after. Until the hours were first saved, the flows keep their built-in calendar."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.db.base import utcnow
from atende.desk.models import BusinessHours
from atende.desk.schemas import BusinessHoursIn, BusinessHoursOut, DayHours
from atende.errors import Problem
from atende.flows.runner import FlowRunner
from atende.ops.calendar import Closure, CoverageCalendar, Window, WorkingHours, brazil_holidays
from atende.ops.repository import OpsRepository
from atende.runtime import Runtime

CALENDAR = "atendimento"
REFRESH_SECONDS = 10.0
MIDNIGHT = time(0)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The flows' built-in hours: Monday to Saturday, 08:00 to 20:00.
DEFAULT_WEEK: dict[int, tuple[time, time]] = {day: (time(8), time(20)) for day in range(6)}

Week = Mapping[int, tuple[time, time]]


class WeeklyCalendar(CoverageCalendar):
    """A coverage calendar whose hours differ by weekday (Saturday may close at 14:00).

    The base class builds each day from `self.hours`; this one sets them to the day's own
    before each day is built, so holidays, closures and daylight saving are handled there."""

    def __init__(self, week: Week, *, zone: str, closures: Sequence[Closure] = ()) -> None:
        super().__init__(CALENDAR, zone=zone, holidays=brazil_holidays(), closures=closures)
        self.hours_by_day = dict(week)
        self.week = {
            day: WorkingHours(opens, closes, frozenset({day}))
            for day, (opens, closes) in week.items()
        }

    def _day_windows(self, day: date) -> tuple[Window, ...]:
        hours = self.week.get(day.weekday())
        if hours is None:
            return ()
        self.hours = hours
        return super()._day_windows(day)


@dataclass(frozen=True)
class Snapshot:
    """What the calendar is built from; a new one is built only when this changes."""

    week: tuple[tuple[int, time, time], ...]
    closures: tuple[Closure, ...]


def check(data: BusinessHoursIn) -> dict[int, tuple[time, time]]:
    """The open days' hours, or a 422 naming the day and what is wrong with it."""
    seen = sorted(day.weekday for day in data.days)
    if seen != list(range(7)):
        raise Problem(422, "Invalid business hours", "days: give each weekday 0..6 exactly once")
    week: dict[int, tuple[time, time]] = {}
    for day in data.days:
        if not day.open:
            continue
        where = f"days[{day.weekday}] ({WEEKDAYS[day.weekday]})"
        if day.opens is None or day.closes is None:
            raise Problem(422, "Invalid business hours", f"{where}: an open day needs both times")
        if day.closes != MIDNIGHT and day.closes <= day.opens:
            raise Problem(
                422,
                "Invalid business hours",
                f"{where}: closes at {day.closes:%H:%M}, not after it opens at {day.opens:%H:%M}",
            )
        week[day.weekday] = (day.opens, day.closes)
    return week


class BusinessHoursService:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    async def rows(self) -> list[BusinessHours]:
        query = select(BusinessHours).order_by(BusinessHours.weekday)
        return list((await self.session.scalars(query)).all())

    async def snapshot(self) -> Snapshot | None:
        """None until an administrator saved the hours."""
        rows = await self.rows()
        if not rows:
            return None
        week = tuple(
            (row.weekday, row.opens, row.closes)
            for row in rows
            if row.open and row.opens is not None and row.closes is not None
        )
        closures = tuple(
            Closure(day=row.day, reason=row.reason, starts=row.starts, ends=row.ends)
            for row in await OpsRepository(self.session).closures()
        )
        return Snapshot(week, closures)

    async def read(self) -> BusinessHoursOut:
        snapshot = await self.snapshot()
        shown: Week = DEFAULT_WEEK
        open_now = None
        if snapshot is not None:
            calendar = install(self.runtime, snapshot)  # closures added since apply now
            shown = calendar.hours_by_day
            open_now = calendar.is_open(utcnow())
        return BusinessHoursOut(
            configured=snapshot is not None,
            timezone=self.runtime.settings.timezone,
            open_now=open_now,
            days=[
                DayHours(
                    weekday=day,
                    open=day in shown,
                    opens=shown[day][0] if day in shown else None,
                    closes=shown[day][1] if day in shown else None,
                )
                for day in range(7)
            ],
        )

    async def save(self, data: BusinessHoursIn) -> BusinessHoursOut:
        week = check(data)
        existing = {row.weekday: row for row in await self.rows()}
        for day in range(7):
            row = existing.get(day) or BusinessHours(weekday=day)
            row.open = day in week
            row.opens, row.closes = week.get(day, (None, None))
            if day not in existing:
                self.session.add(row)
        await self.session.flush()
        return await self.read()


# ---------------------------------------------------------------- the calendar in force

_KEY = "desk.business_hours"


def runners(runtime: Runtime) -> list[FlowRunner]:
    """Every flow runner of this node: voice's, and the WhatsApp bot's."""
    found: list[FlowRunner] = []
    if "voice.flow_runner" in runtime.services:
        found.append(runtime.services["voice.flow_runner"])
    if "messaging" in runtime.services:
        found.append(runtime.services["messaging"].bot.runner)
    return found


def install(runtime: Runtime, snapshot: Snapshot) -> WeeklyCalendar:
    """Give every flow runner of this node the calendar built from `snapshot` (once)."""
    current = runtime.services.get(_KEY)
    if current is not None and current[0] == snapshot:
        calendar: WeeklyCalendar = current[1]
        return calendar
    week = {day: (opens, closes) for day, opens, closes in snapshot.week}
    calendar = WeeklyCalendar(week, zone=runtime.settings.timezone, closures=snapshot.closures)
    runtime.services[_KEY] = (snapshot, calendar)
    for runner in runners(runtime):
        runner.calendars[CALENDAR] = calendar
    return calendar


async def refresh(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        snapshot = await BusinessHoursService(session, runtime).snapshot()
    if snapshot is not None:
        install(runtime, snapshot)


async def follow(runtime: Runtime) -> None:
    """Hours saved on another node and closures added apply within REFRESH_SECONDS."""
    while True:
        await refresh(runtime)
        await asyncio.sleep(REFRESH_SECONDS)
