"""Erlang C against the textbook formula in exact arithmetic and a published worked example;
Erlang A against its own limits and bookkeeping; staffing searches; monotonicity."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atende.simulation.erlang import (
    QueueForecast,
    StaffingTarget,
    agents_for_concurrency,
    erlang_a_agents,
    erlang_a_forecast,
    erlang_b,
    erlang_c,
    erlang_c_agents,
    erlang_c_forecast,
    offered_load,
    scheduled_agents,
)


def exact_erlang_c(traffic: Fraction, agents: int) -> Fraction:
    """P(wait) = (A^N/N! · N/(N-A)) / (sum_{k<N} A^k/k! + A^N/N! · N/(N-A)), exactly."""
    top = traffic**agents / math.factorial(agents) * Fraction(agents) / (agents - traffic)
    below = sum(traffic**k / math.factorial(k) for k in range(agents))
    return top / (below + top)


@pytest.mark.parametrize(
    ("calls_per_hour", "handle", "agents"),
    [
        (200, 180, 11),
        (200, 180, 14),
        (100, 240, 9),
        (360, 240, 27),
        (1000, 300, 95),
        (3000, 270, 240),
    ],
)
def test_erlang_c_matches_the_exact_formula(calls_per_hour: int, handle: int, agents: int) -> None:
    traffic = Fraction(calls_per_hour * handle, 3600)
    waiting = float(exact_erlang_c(traffic, agents))
    forecast = erlang_c_forecast(calls_per_hour, handle, agents, answer_within=20)
    spare = agents - float(traffic)
    assert forecast.probability_of_waiting == pytest.approx(waiting, rel=1e-9)
    assert forecast.service_level == pytest.approx(
        1 - waiting * math.exp(-spare * 20 / handle), rel=1e-9
    )
    assert forecast.average_speed_of_answer == pytest.approx(waiting * handle / spare, rel=1e-9)
    assert forecast.occupancy == pytest.approx(float(traffic) / agents)


def test_the_published_worked_example() -> None:
    """100 calls per half hour of 3 minutes (10 erlangs), 80% in 20 s: the usual worked
    example gives 14 agents, P(wait) 17.4%, 88.8% answered in 20 s, ASA about 8 s."""
    staffed = erlang_c_agents(200, 180, StaffingTarget(0.8, 20))
    assert staffed.agents == 14
    assert staffed.probability_of_waiting == pytest.approx(0.1741, abs=5e-5)
    assert staffed.service_level == pytest.approx(0.8884, abs=5e-5)
    assert staffed.average_speed_of_answer == pytest.approx(7.84, abs=5e-3)
    one_fewer = erlang_c_forecast(200, 180, 13, 20)
    assert one_fewer.service_level == pytest.approx(0.7956, abs=5e-5)
    assert not StaffingTarget(0.8, 20).met_by(one_fewer)


def test_erlang_b_recursion_matches_the_formula() -> None:
    traffic = Fraction(15, 2)
    terms = [traffic**k / math.factorial(k) for k in range(11)]
    assert erlang_b(7.5, 10) == pytest.approx(float(terms[-1] / sum(terms)), rel=1e-12)
    assert erlang_b(3.0, 0) == 1.0


def test_hundreds_of_agents_do_not_overflow() -> None:
    forecast = erlang_c_forecast(12_000, 300, 1_020, 20)  # 1000 erlangs
    assert 0 < forecast.probability_of_waiting < 1
    assert 0 < forecast.service_level < 1
    tiny = erlang_c(10.0, 900)  # B underflows far below the smallest float
    assert tiny == 0.0
    assert erlang_a_forecast(12_000, 300, 90, 1_020, 20).service_level > forecast.service_level


def test_an_unstable_queue_never_answers_in_time() -> None:
    forecast = erlang_c_forecast(200, 180, 10, 20)  # exactly as many agents as erlangs
    assert forecast.probability_of_waiting == 1.0
    assert forecast.service_level == 0.0
    assert math.isinf(forecast.average_speed_of_answer)


def test_no_calls_need_no_agents() -> None:
    assert erlang_c_agents(0, 300, StaffingTarget()).agents == 0
    assert erlang_a_agents(0, 300, 60, StaffingTarget()).agents == 0


def test_staffing_is_the_fewest_agents_meeting_the_target() -> None:
    target = StaffingTarget(0.9, 15, max_occupancy=0.85)
    found = erlang_c_agents(720, 240, target)
    assert target.met_by(found)
    assert not target.met_by(erlang_c_forecast(720, 240, found.agents - 1, 15))


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    patient = erlang_a_forecast(200, 180, 1e9, 14, 20)
    classic = erlang_c_forecast(200, 180, 14, 20)
    assert patient.service_level == pytest.approx(classic.service_level, abs=1e-6)
    assert patient.probability_of_waiting == pytest.approx(classic.probability_of_waiting, rel=1e-6)
    assert patient.average_speed_of_answer == pytest.approx(
        classic.average_speed_of_answer, rel=1e-4
    )
    assert patient.probability_of_abandonment < 1e-6


def test_erlang_a_accounts_for_every_caller() -> None:
    """The share who hang up comes from the queue length (Little's law); the share answered
    comes from each caller's race through the queue. They must add up to one."""
    forecast = erlang_a_forecast(200, 180, 60, 9, 20)
    traffic = offered_load(200, 180)
    answered = forecast.occupancy * forecast.agents / traffic
    assert answered + forecast.probability_of_abandonment == pytest.approx(1.0, abs=1e-9)


def test_erlang_a_without_agents_loses_everyone() -> None:
    forecast = erlang_a_forecast(100, 300, 60, 0, 20)
    assert forecast.probability_of_waiting == 1.0
    assert forecast.probability_of_abandonment == pytest.approx(1.0)
    assert forecast.service_level == 0.0


def test_impatient_callers_need_fewer_agents_and_an_abandonment_ceiling_adds_some() -> None:
    target = StaffingTarget(0.8, 20)
    classic = erlang_c_agents(200, 180, target).agents
    impatient = erlang_a_agents(200, 180, 60, target)
    assert impatient.agents < classic
    strict = erlang_a_agents(200, 180, 60, StaffingTarget(0.8, 20, max_abandonment=0.02))
    assert strict.agents > impatient.agents
    assert strict.probability_of_abandonment <= 0.02


def test_shrinkage_and_chat_concurrency() -> None:
    assert scheduled_agents(14, 0.3) == 20
    assert scheduled_agents(14, 0.0) == 14
    assert agents_for_concurrency(10, 3) == 4
    with pytest.raises(ValueError):
        scheduled_agents(10, 1.0)


def _monotone(fewer: QueueForecast, more: QueueForecast) -> None:
    assert more.service_level >= fewer.service_level - 1e-12
    assert more.probability_of_waiting <= fewer.probability_of_waiting + 1e-12
    assert more.average_speed_of_answer <= fewer.average_speed_of_answer + 1e-9
    assert more.occupancy <= fewer.occupancy + 1e-12


calls = st.floats(min_value=1, max_value=3000)
handle = st.floats(min_value=30, max_value=900)
within = st.floats(min_value=0, max_value=120)


@settings(max_examples=200, deadline=None)
@given(calls=calls, handle=handle, within=within, extra=st.integers(-5, 40))
def test_another_agent_never_hurts_erlang_c(
    calls: float, handle: float, within: float, extra: int
) -> None:
    agents = max(1, math.ceil(offered_load(calls, handle)) + extra)
    _monotone(
        erlang_c_forecast(calls, handle, agents, within),
        erlang_c_forecast(calls, handle, agents + 1, within),
    )


@settings(max_examples=100, deadline=None)
@given(
    calls=st.floats(min_value=1, max_value=600),
    handle=handle,
    patience=st.floats(min_value=10, max_value=1200),
    within=within,
    extra=st.integers(-10, 10),
)
def test_another_agent_never_hurts_erlang_a(
    calls: float, handle: float, patience: float, within: float, extra: int
) -> None:
    agents = max(1, math.ceil(offered_load(calls, handle)) + extra)
    fewer = erlang_a_forecast(calls, handle, patience, agents, within)
    more = erlang_a_forecast(calls, handle, patience, agents + 1, within)
    assert more.service_level >= fewer.service_level - 1e-9
    assert more.probability_of_abandonment <= fewer.probability_of_abandonment + 1e-12
    assert more.probability_of_waiting <= fewer.probability_of_waiting + 1e-12
    assert 0 <= more.service_level <= 1
