from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from atende.ops.severity import Severity
from atende.ops.uptime import (
    ComponentStatus,
    DayBar,
    Outage,
    daily_bars,
    incident_impact,
    overall_uptime,
)

SP = ZoneInfo("America/Sao_Paulo")
MAJOR, PARTIAL = ComponentStatus.MAJOR_OUTAGE, ComponentStatus.PARTIAL_OUTAGE


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SP)


def bars(outages: list[Outage], days: int = 2, now: str = "2026-11-17 23:00") -> list[DayBar]:
    return daily_bars(
        outages, last_day=date(2026, 11, 17), days=days, zone="America/Sao_Paulo", now=at(now)
    )


def test_a_major_outage_counts_fully() -> None:
    day = bars([Outage(at("2026-11-17 10:00"), at("2026-11-17 12:00"), MAJOR)])[-1]
    assert day.downtime == timedelta(hours=2)
    assert day.uptime == pytest.approx(1 - 2 / 24)
    assert day.status is MAJOR


def test_partial_outage_weighs_thirty_percent_and_overlaps_count_once() -> None:
    outages = [
        Outage(at("2026-11-17 08:00"), at("2026-11-17 18:00"), PARTIAL),
        Outage(at("2026-11-17 10:00"), at("2026-11-17 12:00"), MAJOR),
    ]
    day = bars(outages)[-1]
    assert day.downtime == timedelta(hours=2) + timedelta(hours=8) * 0.3
    assert day.status is MAJOR


def test_outage_across_midnight_is_split_between_local_days_and_ongoing_uses_now() -> None:
    first, second = bars([Outage(at("2026-11-16 23:00"), None, MAJOR)], now="2026-11-17 01:00")
    assert (first.day, first.downtime) == (date(2026, 11, 16), timedelta(hours=1))
    assert (second.day, second.downtime) == (date(2026, 11, 17), timedelta(hours=1))


def test_degradation_and_maintenance_are_not_downtime() -> None:
    outages = [
        Outage(at("2026-11-17 01:00"), at("2026-11-17 05:00"), ComponentStatus.UNDER_MAINTENANCE),
        Outage(
            at("2026-11-17 10:00"), at("2026-11-17 12:00"), ComponentStatus.DEGRADED_PERFORMANCE
        ),
    ]
    day = bars(outages)[-1]
    assert day.uptime == 1.0
    assert day.status is ComponentStatus.DEGRADED_PERFORMANCE


def test_ninety_days_oldest_first_and_overall_uptime() -> None:
    whole_day = Outage(at("2026-11-17 00:00"), at("2026-11-18 00:00"), MAJOR)
    result = bars([whole_day], days=90, now="2026-11-18 00:00")
    assert len(result) == 90
    assert result[0].day == date(2026, 8, 20)
    assert result[-1].uptime == 0.0
    assert overall_uptime(result) == pytest.approx(89 / 90)
    assert overall_uptime([]) == 1.0


@pytest.mark.parametrize(
    ("severity", "total", "status"),
    [
        (Severity.ALTA, True, MAJOR),
        (Severity.ALTA, False, PARTIAL),
        (Severity.MEDIA, False, ComponentStatus.DEGRADED_PERFORMANCE),
        (Severity.BAIXA, False, ComponentStatus.OPERATIONAL),
    ],
)
def test_incident_impact(severity: Severity, total: bool, status: ComponentStatus) -> None:
    assert incident_impact(severity, total) is status


def test_nothing_after_now_counts() -> None:
    later_today = Outage(at("2026-11-17 22:00"), at("2026-11-17 23:30"), MAJOR)
    today = bars([later_today], now="2026-11-17 21:00")[-1]
    assert (today.downtime, today.status) == (timedelta(0), ComponentStatus.OPERATIONAL)
