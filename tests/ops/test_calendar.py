"""Hand-computed business-time cases: São Paulo's 9x5 coverage across weekends and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from atende.ops.calendar import (
    Closure,
    CoverageCalendar,
    WorkingHours,
    around_the_clock,
    calendar_days,
    nine_to_five,
)

SP = ZoneInfo("America/Sao_Paulo")


def local(text: str, zone: ZoneInfo = SP) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


@pytest.fixture(scope="module")
def coverage() -> CoverageCalendar:
    return nine_to_five()


@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        # Within one working day.
        ("2026-11-16 10:00", hours(0.5), "2026-11-16 10:30"),
        # Before opening: the clock starts at 09:00.
        ("2026-11-16 07:00", hours(0.5), "2026-11-16 09:30"),
        # Friday evening rolls over the weekend to Monday.
        ("2026-11-13 17:00", hours(2), "2026-11-16 10:00"),
        # Ending exactly at closing time is the earliest instant, not Monday 09:00.
        ("2026-11-13 17:00", hours(1), "2026-11-13 18:00"),
        # Opened on Saturday: nothing counts until Monday 09:00.
        ("2026-11-21 10:00", hours(0.5), "2026-11-23 09:30"),
        # 20 Nov 2026 (Friday) is Consciência Negra, national since 2024.
        ("2026-11-19 17:00", hours(2), "2026-11-23 10:00"),
        # 25 Jan 2027 (Monday) is the São Paulo city anniversary, a municipal holiday.
        ("2027-01-22 17:00", hours(2), "2027-01-26 10:00"),
        # New Year's Day 2027 is a Friday: from Thursday 31 Dec straight to Monday 4 Jan.
        ("2026-12-31 17:00", hours(2), "2027-01-04 10:00"),
        # 9 July (Revolução Constitucionalista) is a São Paulo state holiday; 2026 is a Thursday.
        ("2026-07-08 17:00", hours(2), "2026-07-10 10:00"),
        # Carnival is an optional observance, not a holiday: Monday 16 Feb 2026 is a working day.
        ("2026-02-13 17:00", hours(2), "2026-02-16 10:00"),
        # Several days: Thursday 15:00 + 24 h of coverage = 3 + 9 (Mon) + 9 (Tue) + 3 (Wed).
        ("2026-11-19 15:00", hours(24), "2026-11-25 12:00"),
    ],
)
def test_add_business_time(
    coverage: CoverageCalendar, start: str, amount: timedelta, due: str
) -> None:
    assert coverage.add(local(start), amount) == local(due)


def test_results_are_utc_whatever_zone_the_input_has(coverage: CoverageCalendar) -> None:
    due = coverage.add(local("2026-11-16 10:00"), hours(0.5))
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 16, 13, 30, tzinfo=UTC)


def test_measure_skips_weekends_and_holidays(coverage: CoverageCalendar) -> None:
    # Fri 13 (8 h from 10:00) + Mon 16..Thu 19 (4 x 9 h) + Fri 20 holiday + Mon 23 (1 h).
    assert coverage.measure(local("2026-11-13 10:00"), local("2026-11-23 10:00")) == hours(45)


def test_measure_inside_closed_time_is_zero(coverage: CoverageCalendar) -> None:
    assert coverage.measure(local("2026-11-20 08:00"), local("2026-11-22 23:00")) == timedelta(0)
    assert coverage.measure(local("2026-11-16 18:00"), local("2026-11-17 09:00")) == timedelta(0)


def test_measure_is_signed(coverage: CoverageCalendar) -> None:
    forward = coverage.measure(local("2026-11-16 10:00"), local("2026-11-17 10:00"))
    assert forward == hours(9)
    assert coverage.measure(local("2026-11-17 10:00"), local("2026-11-16 10:00")) == -forward


def test_a_whole_year_of_coverage(coverage: CoverageCalendar) -> None:
    # 2026 has 261 weekdays; 11 of them are holidays in São Paulo capital (1 Jan, Good Friday
    # 3 Apr, 21 Apr, 1 May, Corpus Christi 4 Jun, 9 Jul, 7 Sep, 12 Oct, 2 Nov, 20 Nov, 25 Dec;
    # 25 Jan and 15 Nov fall on Sundays).
    year = coverage.measure(local("2026-01-01 00:00"), local("2027-01-01 00:00"))
    assert year == hours(9) * 250


def test_municipal_holiday_needs_the_capital_subdivision() -> None:
    # 20 Nov 2023 was a holiday of the city of São Paulo only (national from 2024).
    capital = nine_to_five()
    state = nine_to_five(subdivision="SP")
    start, end = local("2023-11-20 09:00"), local("2023-11-20 18:00")
    assert capital.measure(start, end) == timedelta(0)
    assert state.measure(start, end) == hours(9)
    assert capital.closed_because(date(2023, 11, 20)) == "Consciência Negra"


def test_closed_because_names_holidays_and_closures() -> None:
    calendar = nine_to_five(closures=[Closure(date(2026, 2, 16), "Carnaval")])
    assert calendar.closed_because(date(2026, 1, 25)) == "Aniversário da Cidade de São Paulo"
    assert calendar.closed_because(date(2026, 2, 16)) == "Carnaval"
    assert calendar.closed_because(date(2026, 2, 19)) is None


def test_extra_closures_whole_and_partial_days() -> None:
    calendar = nine_to_five(
        closures=[
            Closure(date(2026, 2, 16), "Carnaval"),
            Closure(date(2026, 2, 17), "Carnaval"),
            Closure(date(2026, 2, 18), "Quarta-feira de Cinzas", ends=time(12)),
        ]
    )
    assert calendar.add(local("2026-02-13 17:00"), hours(2)) == local("2026-02-18 13:00")
    assert calendar.measure(local("2026-02-16 00:00"), local("2026-02-19 00:00")) == hours(6)


def test_closure_in_the_middle_of_the_day_splits_it() -> None:
    calendar = nine_to_five(
        closures=[Closure(date(2026, 11, 17), "Treinamento", starts=time(12), ends=time(14))]
    )
    assert calendar.add(local("2026-11-17 11:00"), hours(2)) == local("2026-11-17 15:00")
    assert not calendar.is_open(local("2026-11-17 13:00"))
    assert calendar.is_open(local("2026-11-17 14:00"))


def test_configurable_hours_and_zone() -> None:
    manaus = ZoneInfo("America/Manaus")
    calendar = CoverageCalendar(
        "8x6",
        zone="America/Manaus",
        hours=WorkingHours(opens=time(8), closes=time(20), weekdays=frozenset(range(6))),
    )
    # Saturday counts; Sunday does not; 12 h a day.
    assert calendar.add(local("2026-11-21 19:00", manaus), hours(2)) == local(
        "2026-11-23 09:00", manaus
    )
    assert calendar.measure(
        local("2026-11-21 00:00", manaus), local("2026-11-23 00:00", manaus)
    ) == hours(12)


def test_closing_at_midnight_means_the_end_of_the_day() -> None:
    calendar = CoverageCalendar(hours=WorkingHours(opens=time(18), closes=time(0)))
    assert calendar.add(local("2026-11-16 23:00"), hours(2)) == local("2026-11-17 19:00")


def test_daylight_saving_days_have_their_real_length() -> None:
    # São Paulo moved clocks from 00:00 to 01:00 on 4 Nov 2018 and back on 17 Feb 2019.
    every_hour = CoverageCalendar(
        "24h", hours=WorkingHours(opens=time(0), closes=time(0), weekdays=frozenset(range(7)))
    )
    assert every_hour.measure(local("2018-11-04 00:00"), local("2018-11-05 00:00")) == hours(23)
    assert every_hour.measure(local("2019-02-16 00:00"), local("2019-02-17 00:00")) == hours(25)


def test_business_day_around_a_dst_change_keeps_nine_hours(coverage: CoverageCalendar) -> None:
    assert coverage.measure(local("2018-11-05 00:00"), local("2018-11-06 00:00")) == hours(9)


def test_is_open(coverage: CoverageCalendar) -> None:
    assert coverage.is_open(local("2026-11-16 09:00"))
    assert not coverage.is_open(local("2026-11-16 18:00"))
    assert not coverage.is_open(local("2026-11-20 10:00"))
    assert not coverage.is_open(local("2026-11-21 10:00"))


def test_naive_datetimes_and_negative_amounts_are_refused(coverage: CoverageCalendar) -> None:
    with pytest.raises(ValueError, match="time zone"):
        coverage.add(datetime(2026, 11, 16, 10), hours(1))
    with pytest.raises(ValueError, match="negative"):
        coverage.add(local("2026-11-16 10:00"), hours(-1))
    with pytest.raises(ValueError, match="time zone"):
        around_the_clock().measure(datetime(2026, 11, 16, 10), local("2026-11-16 10:00"))


def test_invalid_working_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="close"):
        WorkingHours(opens=time(18), closes=time(9))
    with pytest.raises(ValueError, match="weekdays"):
        WorkingHours(weekdays=frozenset({7}))


def test_a_calendar_that_never_opens_refuses_to_search_forever() -> None:
    closed = CoverageCalendar(holidays=lambda year: dict.fromkeys(_every_day(year), "fechado"))
    with pytest.raises(ValueError, match="no covered time"):
        closed.add(local("2026-11-16 10:00"), hours(1))


def _every_day(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def test_continuous_calendars_count_every_instant() -> None:
    for calendar in (around_the_clock(), calendar_days()):
        saturday = local("2026-11-21 23:00")
        assert calendar.add(saturday, hours(2)) == local("2026-11-22 01:00")
        assert calendar.measure(saturday, local("2026-11-23 23:00")) == hours(48)
        assert calendar.is_open(local("2026-11-20 03:00"))
    assert (around_the_clock().name, calendar_days().name) == ("24x7", "calendar-days")
