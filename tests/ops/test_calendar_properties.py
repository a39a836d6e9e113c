"""Properties of business-time arithmetic, checked against a day-by-day reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from atende.ops.calendar import (
    BusinessCalendar,
    Closure,
    around_the_clock,
    nine_to_five,
)

SP = ZoneInfo("America/Sao_Paulo")
CLOSURES = [
    Closure(date(2026, 2, 16), "Carnaval"),
    Closure(date(2026, 2, 17), "Carnaval"),
    Closure(date(2026, 2, 18), "Quarta-feira de Cinzas", ends=time(12)),
    Closure(date(2026, 12, 24), "Véspera de Natal", starts=time(13)),
]
COVERAGE = nine_to_five(closures=CLOSURES)
CALENDARS: list[BusinessCalendar] = [COVERAGE, around_the_clock()]
SAO_PAULO_HOLIDAYS = holidays.country_holidays(
    "BR", subdiv="São Paulo Capital", years=range(2016, 2031)
)

# Years with and without São Paulo's daylight saving time (abolished in 2019).
instants = st.datetimes(
    min_value=datetime(2017, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
)
amounts = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=3000))
calendars = st.sampled_from(CALENDARS)
PROPERTY = settings(max_examples=200, deadline=None)


def reference_open_spans(day: date) -> list[tuple[datetime, datetime]]:
    """The coverage of one local day, worked out directly from the contract's words."""
    if day.weekday() >= 5 or day in SAO_PAULO_HOLIDAYS:
        return []
    spans = [(time(9), time(18))]
    for closure in CLOSURES:
        if closure.day == day:
            cut = (closure.starts or time(0), closure.ends or time(23, 59, 59, 999999))
            spans = [
                piece
                for opens, closes in spans
                for piece in ((opens, min(closes, cut[0])), (max(opens, cut[1]), closes))
                if piece[0] < piece[1]
            ]
    return [
        (datetime.combine(day, a, tzinfo=SP), datetime.combine(day, b, tzinfo=SP)) for a, b in spans
    ]


def reference_measure(start: datetime, end: datetime) -> timedelta:
    total = timedelta(0)
    day = start.astimezone(SP).date()
    while day <= end.astimezone(SP).date():
        for opens, closes in reference_open_spans(day):
            total += max(min(closes, end) - max(opens, start), timedelta(0))
        day += timedelta(days=1)
    return total


@PROPERTY
@given(start=instants, span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)))
def test_measure_matches_the_day_by_day_reference(start: datetime, span: timedelta) -> None:
    assert COVERAGE.measure(start, start + span) == reference_measure(start, start + span)


@PROPERTY
@given(calendar=calendars, start=instants, amount=amounts)
def test_add_then_measure_gives_back_the_amount(
    calendar: BusinessCalendar, start: datetime, amount: timedelta
) -> None:
    due = calendar.add(start, amount)
    assert due >= start
    assert calendar.measure(start, due) == amount


@PROPERTY
@given(calendar=calendars, start=instants, amount=amounts)
def test_add_gives_the_earliest_such_instant(
    calendar: BusinessCalendar, start: datetime, amount: timedelta
) -> None:
    due = calendar.add(start, amount)
    if amount:
        # One microsecond earlier the amount has not yet elapsed: the deadline is in open time.
        assert calendar.measure(start, due - timedelta(microseconds=1)) < amount


@PROPERTY
@given(calendar=calendars, start=instants, first=amounts, second=amounts)
def test_add_is_monotonic_and_composes(
    calendar: BusinessCalendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    low, high = sorted((first, second))
    assert calendar.add(start, low) <= calendar.add(start, high)
    assert calendar.add(calendar.add(start, first), second) == calendar.add(start, first + second)


@PROPERTY
@given(calendar=calendars, a=instants, b=instants, amount=amounts)
def test_later_start_never_gives_earlier_deadline(
    calendar: BusinessCalendar, a: datetime, b: datetime, amount: timedelta
) -> None:
    early, late = sorted((a, b))
    assert calendar.add(early, amount) <= calendar.add(late, amount)


@PROPERTY
@given(calendar=calendars, a=instants, b=instants, c=instants)
def test_measure_is_additive_over_split_points(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    assert calendar.measure(a, b) + calendar.measure(b, c) == calendar.measure(a, c)


@PROPERTY
@given(a=instants, b=instants)
def test_measure_is_bounded_by_wall_time(a: datetime, b: datetime) -> None:
    start, end = sorted((a, b))
    assert timedelta(0) <= COVERAGE.measure(start, end) <= end - start


@PROPERTY
@given(instant=instants)
def test_open_exactly_in_working_hours_of_working_days(instant: datetime) -> None:
    spans = reference_open_spans(instant.astimezone(SP).date())
    expected = any(opens <= instant < closes for opens, closes in spans)
    assert COVERAGE.is_open(instant) == expected


@PROPERTY
@given(instant=instants)
def test_time_counts_exactly_while_open(instant: datetime) -> None:
    tick = timedelta(microseconds=1)
    expected = tick if COVERAGE.is_open(instant) else timedelta(0)
    assert COVERAGE.measure(instant, instant + tick) == expected
