"""Business calendars: the time during which an SLA clock is allowed to run.

An SLA target is an amount of *covered* time (30 minutes of the support provider's working hours,
not of the wall clock), so deadlines are found by walking covered time. Every calendar answers
`add` (the earliest instant by which an amount of covered time has passed) and `measure` (covered
time between two instants). Both work in integer microseconds, so adding an amount and measuring
it back gives exactly that amount, and long spans cost no more than short ones: a coverage
calendar keeps, per year, the covered time before each local day and finds positions by bisection.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays as holidays_lib

SAO_PAULO = "America/Sao_Paulo"
SAO_PAULO_CAPITAL = "São Paulo Capital"
"""The `holidays` subdivision holding the city's municipal holidays on top of the state's."""

HolidaySource = Callable[[int], Mapping[date, str]]
"""Given a year, the closed days of that year with their names."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
# A calendar whose years have no covered time would make `add` search forever.
_MAX_EMPTY_YEARS = 10
_MEAN_YEAR = 31_556_952_000_000  # microseconds in 365.2425 days


class BusinessCalendar(Protocol):
    """What the SLA clocks need from a calendar.

    `add_us`/`measure_us` are the same operations on microseconds since the epoch, for callers
    (the clocks' replay) that do many of them and would otherwise convert back and forth."""

    @property
    def name(self) -> str: ...

    def add(self, start: datetime, amount: timedelta) -> datetime: ...

    def measure(self, start: datetime, end: datetime) -> timedelta: ...

    def add_us(self, start: int, amount: int) -> int: ...

    def measure_us(self, start: int, end: int) -> int: ...

    def is_open(self, instant: datetime) -> bool: ...


def to_microseconds(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant!r} has no time zone; business time needs an aware instant")
    return (instant - _EPOCH) // _MICROSECOND


def from_microseconds(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def brazil_holidays(subdivision: str = SAO_PAULO_CAPITAL) -> HolidaySource:
    """Public holidays (federal, plus the state's and city's for a subdivision) in pt-BR.

    Only the "public" category counts: Carnival and Ash Wednesday are optional observances
    (ponto facultativo) in São Paulo; a company that closes on them lists them as closures.
    """

    def for_year(year: int) -> Mapping[date, str]:
        found = holidays_lib.country_holidays(
            "BR", subdiv=subdivision, years=year, language="pt_BR"
        )
        return dict(found.items())

    return for_year


@dataclass(frozen=True)
class Closure:
    """A row of the company's own table of closures: a whole local day or part of one."""

    day: date
    reason: str
    starts: time | None = None
    ends: time | None = None


@dataclass(frozen=True)
class WorkingHours:
    """Covered hours of a working day, in local time; `closes=time(0)` means midnight."""

    opens: time = time(9)
    closes: time = time(18)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday is 0

    def __post_init__(self) -> None:
        if self.closes != _MIDNIGHT and self.closes <= self.opens:
            raise ValueError(f"working hours close ({self.closes}) before they open")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError("working weekdays must be a non-empty subset of 0 (Monday)..6")


class ContinuousCalendar:
    """Every instant counts: a total outage handled around the clock, or calendar days."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return from_microseconds(self.add_us(to_microseconds(start), amount // _MICROSECOND))

    def measure(self, start: datetime, end: datetime) -> timedelta:
        return timedelta(microseconds=self.measure_us(to_microseconds(start), to_microseconds(end)))

    def add_us(self, start: int, amount: int) -> int:
        _require_non_negative(amount)
        return start + amount

    def measure_us(self, start: int, end: int) -> int:
        return end - start

    def is_open(self, instant: datetime) -> bool:
        to_microseconds(instant)
        return True

    def __repr__(self) -> str:
        return f"ContinuousCalendar({self._name!r})"


Window = tuple[int, int]


@dataclass(frozen=True)
class _Year:
    """One local year of a coverage calendar, in microseconds since the epoch.

    `day_starts[i]` is local midnight of day i (one extra entry: next year's first midnight);
    `covered_before[i]` is the covered time of days 0..i-1; `windows[i]` the covered spans of day i.
    """

    day_starts: list[int]
    covered_before: list[int]
    windows: list[tuple[Window, ...]]

    @property
    def start(self) -> int:
        return self.day_starts[0]

    @property
    def end(self) -> int:
        return self.day_starts[-1]

    @property
    def total(self) -> int:
        return self.covered_before[-1]

    def offset(self, instant: int) -> int:
        """Covered time from the start of the year up to `instant` (which lies in this year)."""
        day = bisect_right(self.day_starts, instant) - 1
        covered = self.covered_before[day]
        for opens, closes in self.windows[day]:
            if instant <= opens:
                break
            covered += min(instant, closes) - opens
        return covered

    def instant_at(self, offset: int) -> int:
        """The earliest instant with `offset` covered time since the start of the year."""
        day = bisect_left(self.covered_before, offset) - 1
        remaining = offset - self.covered_before[day]
        for opens, closes in self.windows[day]:
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        raise AssertionError("covered_before and windows disagree")  # pragma: no cover


class CoverageCalendar:
    """Working hours on working days in a time zone, minus holidays and extra closures.

    Day boundaries and opening hours are converted from local time day by day, so daylight saving
    transitions (São Paulo had them until 2019) shorten or lengthen the days they fall on.
    """

    def __init__(
        self,
        name: str = "9x5",
        *,
        zone: str = SAO_PAULO,
        hours: WorkingHours | None = None,
        holidays: HolidaySource | None = None,
        closures: Iterable[Closure] = (),
    ) -> None:
        self._name = name
        self.zone = ZoneInfo(zone)
        self.hours = hours or WorkingHours()
        self._holidays = holidays
        self._closures: dict[date, list[Closure]] = {}
        for closure in closures:
            self._closures.setdefault(closure.day, []).append(closure)
        self._years: dict[int, _Year] = {}
        self._last: tuple[int, _Year] | None = None

    @property
    def name(self) -> str:
        return self._name

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return from_microseconds(self.add_us(to_microseconds(start), amount // _MICROSECOND))

    def measure(self, start: datetime, end: datetime) -> timedelta:
        return timedelta(microseconds=self.measure_us(to_microseconds(start), to_microseconds(end)))

    def add_us(self, start: int, amount: int) -> int:
        _require_non_negative(amount)
        if not amount:
            return start
        year_number = self._year_of(start)
        year = self._year(year_number)
        target = year.offset(start) + amount
        empty_years = 0
        while target > year.total:
            target -= year.total
            empty_years = empty_years + 1 if not year.total else 0
            if empty_years > _MAX_EMPTY_YEARS:
                raise ValueError(f"calendar {self._name!r} has no covered time for years")
            year_number += 1
            year = self._year(year_number)
        return year.instant_at(target)

    def measure_us(self, start: int, end: int) -> int:
        if end < start:
            return -self.measure_us(end, start)
        first_year, last_year = self._year_of(start), self._year_of(end)
        covered = self._year(last_year).offset(end) - self._year(first_year).offset(start)
        return covered + sum(self._year(number).total for number in range(first_year, last_year))

    def is_open(self, instant: datetime) -> bool:
        moment = to_microseconds(instant)
        year = self._year(self._year_of(moment))
        day = bisect_right(year.day_starts, moment) - 1
        return any(opens <= moment < closes for opens, closes in year.windows[day])

    def closed_because(self, day: date) -> str | None:
        """Why a local day that would be a working day is closed (all or in part), if it is."""
        reasons = [closure.reason for closure in self._closures.get(day, ())]
        holiday = self._holiday_names(day.year).get(day)
        if holiday is not None:
            reasons.insert(0, holiday)
        return "; ".join(reasons) or None

    def _holiday_names(self, year: int) -> Mapping[date, str]:
        return self._holidays(year) if self._holidays is not None else {}

    def _year_of(self, instant: int) -> int:
        """The local year of an instant: the last one asked for (clocks ask about nearby
        instants), else a guess from the average year's length, corrected against the year's
        real local boundaries."""
        last = self._last
        if last is not None and last[1].start <= instant < last[1].end:
            return last[0]
        number = 1970 + instant // _MEAN_YEAR
        while instant < self._year(number).start:
            number -= 1
        while instant >= self._year(number).end:
            number += 1
        self._last = (number, self._year(number))
        return number

    def _year(self, number: int) -> _Year:
        year = self._years.get(number)
        if year is None:
            year = self._years[number] = self._build_year(number)
        return year

    def _build_year(self, number: int) -> _Year:
        holidays = self._holiday_names(number)
        day, end = date(number, 1, 1), date(number + 1, 1, 1)
        day_starts: list[int] = []
        covered_before = [0]
        windows: list[tuple[Window, ...]] = []
        while day < end:
            day_starts.append(self._local(day, _MIDNIGHT))
            spans = () if day in holidays else self._day_windows(day)
            windows.append(spans)
            covered_before.append(covered_before[-1] + sum(b - a for a, b in spans))
            day += _ONE_DAY
        day_starts.append(self._local(end, _MIDNIGHT))
        return _Year(day_starts, covered_before, windows)

    def _day_windows(self, day: date) -> tuple[Window, ...]:
        if day.weekday() not in self.hours.weekdays:
            return ()
        opens = self._local(day, self.hours.opens)
        closes = self._end_of(day, self.hours.closes)
        spans: list[Window] = [(opens, closes)]
        for closure in self._closures.get(day, ()):
            cut_from = self._local(day, closure.starts or _MIDNIGHT)
            cut_to = self._end_of(day, closure.ends or _MIDNIGHT)
            spans = _subtract(spans, (cut_from, cut_to))
        return tuple(spans)

    def _local(self, day: date, moment: time) -> int:
        return to_microseconds(datetime.combine(day, moment, tzinfo=self.zone))

    def _end_of(self, day: date, moment: time) -> int:
        """A closing time, where midnight means the end of the day rather than its start."""
        return (
            self._local(day + _ONE_DAY, _MIDNIGHT)
            if moment == _MIDNIGHT
            else self._local(day, moment)
        )

    def __repr__(self) -> str:
        return f"CoverageCalendar({self._name!r}, zone={self.zone.key!r}, hours={self.hours!r})"


def _subtract(spans: list[Window], cut: Window) -> list[Window]:
    kept: list[Window] = []
    for opens, closes in spans:
        if opens < cut[0]:
            kept.append((opens, min(closes, cut[0])))
        if closes > cut[1]:
            kept.append((max(opens, cut[1]), closes))
    return kept


def _require_non_negative(amount: int) -> None:
    if amount < 0:
        negative = timedelta(microseconds=amount)
        raise ValueError(f"cannot add a negative amount of business time ({negative})")


def nine_to_five(
    *,
    zone: str = SAO_PAULO,
    hours: WorkingHours | None = None,
    subdivision: str = SAO_PAULO_CAPITAL,
    closures: Iterable[Closure] = (),
) -> CoverageCalendar:
    """The contract's coverage: Monday to Friday, 09:00 to 18:00, no public holidays."""
    return CoverageCalendar(
        "9x5",
        zone=zone,
        hours=hours,
        holidays=brazil_holidays(subdivision),
        closures=closures,
    )


def around_the_clock() -> ContinuousCalendar:
    """Coverage of a total outage: support acts at any hour of any day."""
    return ContinuousCalendar("24x7")


def calendar_days() -> ContinuousCalendar:
    """Targets stated in calendar days ("dias corridos"): weekends and holidays count too.

    The arithmetic is that of 24x7; the name differs because the contract's wording does, and
    reports and the about page show the calendar by name.
    """
    return ContinuousCalendar("calendar-days")
