"""Properties of SLA clocks over generated histories with pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from atende.ops.history import HistoryEvent, Opened, Paused, Resumed
from atende.ops.severity import Severity
from atende.ops.sla import ClockState, contract_policy, sla_status

POLICY = contract_policy()
COVERAGE = POLICY.calendar("9x5")
PROPERTY = settings(max_examples=150, deadline=None)

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10))


@PROPERTY
@given(
    opened=instants,
    severity=st.sampled_from(list(Severity)),
    steps=st.lists(offsets, min_size=3, max_size=3),
)
def test_paused_time_never_counts(
    opened: datetime, severity: Severity, steps: list[timedelta]
) -> None:
    paused = opened + steps[0]
    resumed = paused + steps[1]
    now = resumed + steps[2]
    history: list[HistoryEvent] = [
        Opened(opened, severity),
        Paused(paused, "aguardando terceiros"),
        Resumed(resumed),
    ]
    sla = sla_status(history, POLICY, now)
    expected = COVERAGE.measure(opened, now) - COVERAGE.measure(paused, resumed)
    assert sla.restoration.elapsed == expected
    assert sla.response.elapsed == expected


@PROPERTY
@given(opened=instants, severity=st.sampled_from(list(Severity)), a=offsets, b=offsets)
def test_elapsed_never_decreases(
    opened: datetime, severity: Severity, a: timedelta, b: timedelta
) -> None:
    history: list[HistoryEvent] = [Opened(opened, severity)]
    early, late = sorted((a, b))
    first = sla_status(history, POLICY, opened + early)
    second = sla_status(history, POLICY, opened + late)
    assert first.restoration.elapsed <= second.restoration.elapsed


@PROPERTY
@given(opened=instants, severity=st.sampled_from(list(Severity)), wait=offsets)
def test_deadline_and_remaining_agree(
    opened: datetime, severity: Severity, wait: timedelta
) -> None:
    now = opened + wait
    clock = sla_status([Opened(opened, severity)], POLICY, now).restoration
    assert clock.due_at is not None
    assert COVERAGE.measure(opened, clock.due_at) == clock.target
    if clock.state is ClockState.RUNNING:
        assert COVERAGE.measure(now, clock.due_at) == clock.remaining
    else:
        assert clock.state is ClockState.BREACHED
        assert now > clock.due_at
        assert clock.breached_by == COVERAGE.measure(clock.due_at, now)
