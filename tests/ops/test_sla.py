"""SLA clocks computed from incident histories, against hand-computed deadlines.

Coverage is the contract's: Monday to Friday 09:00-18:00 in São Paulo without holidays, and
around the clock during a total outage. 16-20 Nov 2026 is Monday to Friday; Friday 20 Nov is
Consciência Negra.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from atende.ops.calendar import Closure, around_the_clock, calendar_days, nine_to_five
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
from atende.ops.sla import (
    CONTRACT_TARGETS,
    ClockName,
    ClockState,
    SlaPolicy,
    SlaStatus,
    Targets,
    contract_policy,
    sla_status,
)

SP = ZoneInfo("America/Sao_Paulo")
POLICY = contract_policy()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SP)


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def status(history: list[HistoryEvent], now: str) -> SlaStatus:
    return sla_status(history, POLICY, at(now))


@pytest.mark.parametrize(
    ("severity", "opened", "response_due", "restore_due"),
    [
        (Severity.ALTA, "2026-11-16 10:00", "2026-11-16 10:30", "2026-11-16 12:00"),
        # Friday evening: the remaining coverage goes to Monday.
        (Severity.MEDIA, "2026-11-13 17:00", "2026-11-16 10:00", "2026-11-16 12:00"),
        # Thursday afternoon before the holiday: 3 h Thu, then Mon, Tue, and 3 h on Wed.
        (Severity.BAIXA, "2026-11-19 15:00", "2026-11-23 10:00", "2026-11-25 12:00"),
        # Opened on the holiday itself, without a total outage: nothing counts until Monday.
        (Severity.ALTA, "2026-11-20 10:00", "2026-11-23 09:30", "2026-11-23 11:00"),
    ],
)
def test_due_times_per_severity(
    severity: Severity, opened: str, response_due: str, restore_due: str
) -> None:
    sla = status([Opened(at(opened), severity)], now=opened)
    assert sla.response.due_at == at(response_due)
    assert sla.restoration.due_at == at(restore_due)
    assert sla.response.state is ClockState.RUNNING
    assert sla.calendar == "9x5"
    assert sla.response.due_at is not None and sla.response.due_at.tzinfo is UTC


def test_total_outage_counts_around_the_clock() -> None:
    opened = Opened(at("2026-11-21 10:00"), Severity.ALTA, total_outage=True)  # Saturday
    sla = status([opened], now="2026-11-21 10:10")
    assert sla.calendar == "24x7"
    assert sla.response.due_at == at("2026-11-21 10:30")
    assert sla.restoration.due_at == at("2026-11-21 12:00")
    assert sla.response.remaining == minutes(20)


def test_end_of_total_outage_returns_to_business_hours() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-21 10:00"), Severity.ALTA, total_outage=True),
        ResponseStarted(at("2026-11-21 10:20")),
        TotalOutageChanged(at("2026-11-21 11:00"), total_outage=False),
    ]
    sla = status(history, now="2026-11-21 15:00")
    # One hour counted 24x7 on Saturday; the remaining hour waits for Monday.
    assert sla.calendar == "9x5"
    assert sla.restoration.elapsed == minutes(60)
    assert sla.restoration.due_at == at("2026-11-23 10:00")
    assert sla.response.state is ClockState.MET
    assert sla.response.stopped_at == at("2026-11-21 10:20")


def test_pause_stops_both_clocks_and_hides_the_deadline() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-16 09:00"), Severity.MEDIA),
        Paused(at("2026-11-16 10:00"), "aguardando a operadora"),
    ]
    sla = status(history, now="2026-11-16 12:00")
    assert sla.paused and sla.pause_reason == "aguardando a operadora"
    assert sla.response.state is ClockState.PAUSED
    assert sla.restoration.elapsed == minutes(60)
    assert sla.restoration.remaining == minutes(180)
    assert sla.restoration.due_at is None


def test_resumed_clock_continues_from_where_it_paused() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-16 09:00"), Severity.MEDIA),
        ResponseStarted(at("2026-11-16 09:30")),
        Paused(at("2026-11-16 10:00"), "aguardando o cliente"),
        Resumed(at("2026-11-16 14:00")),
    ]
    sla = status(history, now="2026-11-16 15:00")
    assert sla.response.state is ClockState.MET
    assert sla.restoration.elapsed == minutes(120)
    assert sla.restoration.due_at == at("2026-11-16 17:00")
    assert not sla.paused


def test_pause_over_the_weekend_then_breach() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-13 16:00"), Severity.ALTA),  # Friday
        ResponseStarted(at("2026-11-13 16:10")),
        Paused(at("2026-11-13 17:00"), "aguardando fornecedor"),
        Resumed(at("2026-11-16 11:00")),
        Restored(at("2026-11-16 12:30")),
    ]
    sla = status(history, now="2026-11-16 13:00")
    # 1 h on Friday + 1.5 h on Monday = 2.5 h against 2 h: due Monday 12:00, late by 30 min.
    assert sla.restoration.elapsed == minutes(150)
    assert sla.restoration.state is ClockState.BREACHED
    assert sla.restoration.breached_by == minutes(30)
    assert sla.restoration.due_at == at("2026-11-16 12:00")


def test_late_severity_raise_applies_from_opening() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-16 09:00"), Severity.BAIXA),
        SeverityChanged(at("2026-11-16 10:00"), Severity.ALTA, "afeta todas as filas de vendas"),
    ]
    sla = status(history, now="2026-11-16 10:00")
    assert sla.severity is Severity.ALTA
    assert sla.response.state is ClockState.BREACHED
    assert sla.response.due_at == at("2026-11-16 09:30")
    assert sla.response.breached_by == minutes(30)
    assert sla.restoration.due_at == at("2026-11-16 11:00")
    assert sla.restoration.state is ClockState.RUNNING


def test_severity_change_is_ignored_before_it_happens() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-16 09:00"), Severity.BAIXA),
        SeverityChanged(at("2026-11-16 10:00"), Severity.ALTA, "reclassificado"),
    ]
    sla = status(history, now="2026-11-16 09:45")
    assert sla.severity is Severity.BAIXA
    assert sla.response.due_at == at("2026-11-16 13:00")


def test_late_downgrade_turns_a_breach_into_a_met_target() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-16 09:00"), Severity.ALTA),
        ResponseStarted(at("2026-11-16 09:45")),
        SeverityChanged(at("2026-11-16 11:00"), Severity.MEDIA, "apenas um ramal afetado"),
    ]
    before = status(history, now="2026-11-16 10:00")
    after = status(history, now="2026-11-16 11:00")
    assert before.response.state is ClockState.BREACHED
    assert before.response.breached_by == minutes(15)
    assert after.response.state is ClockState.MET
    assert after.response.due_at == at("2026-11-16 11:00")


def test_reopened_incident_resumes_restoration() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-16 09:00"), Severity.MEDIA),
        ResponseStarted(at("2026-11-16 09:10")),
        Restored(at("2026-11-16 10:00")),
        Reopened(at("2026-11-17 09:00"), "voltou a cair"),
    ]
    restored = status(history, now="2026-11-16 17:00")
    assert restored.restoration.state is ClockState.MET
    assert restored.restoration.stopped_at == at("2026-11-16 10:00")
    reopened = status(history, now="2026-11-17 10:00")
    assert reopened.restoration.state is ClockState.RUNNING
    assert reopened.restoration.elapsed == minutes(120)
    assert reopened.restoration.due_at == at("2026-11-17 12:00")
    assert reopened.response.state is ClockState.MET


def test_restoring_or_resolving_implies_a_response() -> None:
    restored = status(
        [Opened(at("2026-11-16 09:00"), Severity.BAIXA), Restored(at("2026-11-16 10:00"))],
        now="2026-11-16 12:00",
    )
    assert restored.response.stopped_at == at("2026-11-16 10:00")
    assert restored.response.state is ClockState.MET
    resolved = status(
        [Opened(at("2026-11-16 09:00"), Severity.ALTA), Resolved(at("2026-11-16 12:00"))],
        now="2026-11-16 13:00",
    )
    assert resolved.restoration.state is ClockState.BREACHED
    assert resolved.restoration.breached_by == minutes(60)
    closed = status(
        [Opened(at("2026-11-16 09:00"), Severity.BAIXA), Closed(at("2026-11-16 09:05"))],
        now="2026-11-20 13:00",
    )
    assert closed.restoration.state is ClockState.MET
    assert closed.restoration.elapsed == minutes(5)


def test_met_clock_reports_the_deadline_it_beat() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-16 17:00"), Severity.MEDIA),
        ResponseStarted(at("2026-11-16 17:30")),
    ]
    sla = status(history, now="2026-11-18 10:00")
    assert sla.response.state is ClockState.MET
    assert sla.response.due_at == at("2026-11-17 10:00")
    assert sla.response.remaining == minutes(90)


def test_explicit_calendar_change_counts_overnight() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-16 17:00"), Severity.MEDIA),
        ResponseStarted(at("2026-11-16 17:05")),
        CalendarChanged(at("2026-11-16 17:30"), "24x7", "plantão acionado pela diretoria"),
    ]
    sla = status(history, now="2026-11-16 18:00")
    assert sla.calendar == "24x7"
    # 30 min counted in business hours, the other 3.5 h in the evening.
    assert sla.restoration.due_at == at("2026-11-16 21:00")
    back = [*history, CalendarChanged(at("2026-11-16 19:30"), None)]
    # 30 min in 9x5, 2 h around the clock, then the last 1.5 h from Tuesday 09:00.
    assert status(back, now="2026-11-16 20:00").restoration.due_at == at("2026-11-17 10:30")


def test_unknown_calendar_is_refused() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-16 09:00"), Severity.MEDIA),
        CalendarChanged(at("2026-11-16 10:00"), "lua"),
    ]
    with pytest.raises(ValueError, match="unknown calendar"):
        status(history, now="2026-11-16 11:00")


def test_closures_of_the_company_table_stop_the_clock() -> None:
    carnival = nine_to_five(closures=[Closure(date(2026, 2, 16), "Carnaval")])
    history: list[HistoryEvent] = [Opened(at("2026-02-13 17:30"), Severity.ALTA)]
    sla = sla_status(history, contract_policy(carnival), at("2026-02-13 17:30"))
    assert sla.restoration.due_at == at("2026-02-17 10:30")


def test_calendar_days_policy() -> None:
    days = calendar_days()
    policy = SlaPolicy(
        targets={severity: Targets(timedelta(days=1), timedelta(days=3)) for severity in Severity},
        calendars={days.name: days, "24x7": around_the_clock()},
        calendar_by_severity=dict.fromkeys(Severity, days.name),
        outage_calendar="24x7",
    )
    sla = sla_status(
        [Opened(at("2026-11-20 10:00"), Severity.BAIXA)], policy, at("2026-11-20 10:00")
    )
    assert sla.calendar == "calendar-days"
    assert sla.restoration.due_at == at("2026-11-23 10:00")


def test_running_clock_reads_elapsed_and_share() -> None:
    sla = status([Opened(at("2026-11-16 09:00"), Severity.ALTA)], now="2026-11-16 09:15")
    assert sla.response.elapsed == minutes(15)
    assert sla.response.consumed == pytest.approx(0.5)
    assert sla.clock(ClockName.RESTORATION).consumed == pytest.approx(0.125)


def test_clock_at_exactly_its_deadline_is_not_breached() -> None:
    history: list[HistoryEvent] = [
        Opened(at("2026-11-16 09:00"), Severity.ALTA),
        ResponseStarted(at("2026-11-16 09:30")),
    ]
    sla = status(history, now="2026-11-16 09:30")
    assert sla.response.state is ClockState.MET
    assert sla.response.breached_by == timedelta(0)


def test_history_must_start_with_the_opening() -> None:
    with pytest.raises(ValueError, match="opening"):
        status([Paused(at("2026-11-16 09:00"), "x")], now="2026-11-16 10:00")


def test_contract_targets() -> None:
    assert CONTRACT_TARGETS[Severity.ALTA] == Targets(minutes(30), minutes(120))
    assert CONTRACT_TARGETS[Severity.MEDIA] == Targets(minutes(120), minutes(240))
    assert CONTRACT_TARGETS[Severity.BAIXA] == Targets(minutes(240), minutes(24 * 60))


def test_policy_validation() -> None:
    with pytest.raises(ValueError, match="positive"):
        Targets(timedelta(0), minutes(1))
    with pytest.raises(ValueError, match="unknown calendar"):
        SlaPolicy(
            targets=CONTRACT_TARGETS,
            calendars={},
            calendar_by_severity=dict.fromkeys(Severity, "9x5"),
            outage_calendar="24x7",
        )
