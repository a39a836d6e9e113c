"""The simulator: deterministic, conserves contacts, drives the real engine's timers, and agrees
with queueing theory where the theory applies."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from atende.simulation.builtin import demo_scenario, large_scenario
from atende.simulation.erlang import erlang_a_forecast, erlang_c_forecast
from atende.simulation.results import SimulationResult, Tally
from atende.simulation.scenario import scenario_from_data
from atende.simulation.simulator import Simulation, simulate
from tests.simulation.scenarios import single_queue


def _figures(result: SimulationResult) -> dict[str, Any]:
    return {
        "total": dataclasses.asdict(result.total),
        "queues": {name: dataclasses.asdict(tally) for name, tally in result.by_queue.items()},
        "intervals": [
            (row.start, dataclasses.asdict(row.tally), row.average_waiting, row.agents_staffed)
            for row in result.intervals
        ],
        "agents": [dataclasses.asdict(agent) for agent in result.agents],
    }


def _conserves(tally: Tally) -> bool:
    return tally.offered == tally.handled + tally.abandoned + tally.canceled + tally.waiting


def test_the_same_seed_gives_the_same_day() -> None:
    first = simulate(demo_scenario(), seed=11)
    again = simulate(demo_scenario(), seed=11)
    other = simulate(demo_scenario(), seed=12)
    assert _figures(first) == _figures(again)
    assert _figures(first) != _figures(other)
    assert first.total.offered > 500


def test_every_contact_is_accounted_for() -> None:
    result = simulate(demo_scenario(), seed=3, days=2)
    assert result.total.abandoned > 0
    groups = [
        result.total,
        *result.by_queue.values(),
        *result.by_channel.values(),
        *(row.tally for row in result.intervals),
    ]
    assert all(_conserves(tally) for tally in groups)
    assert sum(tally.offered for tally in result.by_queue.values()) == result.total.offered
    assert sum(row.tally.offered for row in result.intervals) == result.total.offered
    assert sum(agent.handled for agent in result.agents) == result.total.handled


def test_contacts_left_when_everyone_goes_home_are_still_waiting() -> None:
    data = single_queue(2, 60, 300).to_data()
    data["agents"][0]["shifts"] = [["00:00", "06:00"]]
    result = Simulation(scenario_from_data(data), seed=1, drain_seconds=600).run()
    assert result.total.waiting > 0
    assert _conserves(result.total)
    assert result.total.longest_wait > 3600


def test_more_agents_serve_the_same_customers_better() -> None:
    """Common random numbers: each stream draws its own customers, so a bigger team faces
    exactly the same arrivals."""
    scenario = demo_scenario()
    small = simulate(scenario.with_agent_count(8), seed=5)
    large = simulate(scenario.with_agent_count(16), seed=5)
    assert small.total.offered == large.total.offered
    assert large.agent_count == 16
    assert large.total.service_level > small.total.service_level  # type: ignore[operator]
    assert large.total.abandoned < small.total.abandoned


def test_service_level_agrees_with_erlang_c() -> None:
    """10 agents, 140 calls/h of 180 s (7 erlangs), no abandonment, three days."""
    result = simulate(single_queue(10, 140, 180), seed=2, days=3)
    theory = erlang_c_forecast(140, 180, 10, 20)
    assert result.total.abandoned == 0
    assert result.total.offered > 9_000
    assert result.total.service_level == pytest.approx(theory.service_level, abs=0.04)
    assert result.total.average_speed_of_answer == pytest.approx(
        theory.average_speed_of_answer, rel=0.35
    )
    assert result.occupancy == pytest.approx(theory.occupancy, abs=0.03)


def test_abandonment_agrees_with_erlang_a() -> None:
    """9 agents for 10 erlangs: only callers hanging up (mean patience 60 s) keep it stable."""
    result = simulate(single_queue(9, 200, 180, patience=60), seed=4, days=2)
    theory = erlang_a_forecast(200, 180, 60, 9, 20)
    assert result.total.abandonment_rate == pytest.approx(
        theory.probability_of_abandonment, abs=0.04
    )
    assert result.total.service_level == pytest.approx(theory.service_level, abs=0.05)


def test_workflow_timeouts_move_contacts_between_queues() -> None:
    """The fallback target is reached only through the engine's step timeout: with nobody
    selling auto insurance, the very same auto quotes end up in the relationship queue."""
    baseline = simulate(demo_scenario(), seed=1)
    data = demo_scenario().to_data()
    data["agents"] = [
        agent for agent in data["agents"] if "auto" not in agent["attributes"]["skills"]
    ]
    without_auto = simulate(scenario_from_data(data), seed=1)
    stranded = without_auto.by_queue["Vendas Auto"]
    assert stranded.handled == 0
    assert stranded.abandoned > 0
    assert stranded.longest_wait < 60
    moved = (
        without_auto.by_queue["Relacionamento"].offered
        - baseline.by_queue["Relacionamento"].offered
    )
    assert moved >= 0.6 * baseline.by_queue["Vendas Auto"].offered


def test_missed_offers_time_out_and_go_to_someone_else() -> None:
    data = single_queue(3, 20, 120, hours=4).to_data()
    data["workflow"]["task_reservation_timeout"] = 15
    data["agents"] = [
        {"name": "Distraída", "shifts": [["00:00", "04:00"]], "miss_rate": 1.0},
        {"name": "Atenta", "shifts": [["00:00", "04:00"]], "accept_delay": 1},
    ]
    result = simulate(scenario_from_data(data), seed=9)
    handled = {agent.name: agent.handled for agent in result.agents}
    assert handled["Distraída"] == 0
    assert handled["Atenta"] == result.total.handled > 0


def test_a_large_center_runs_a_day() -> None:
    result = simulate(large_scenario(queue_count=10, agent_count=100), seed=1)
    assert result.agent_count == 100
    assert len(result.by_queue) == 10
    assert result.total.offered > 9_000
    assert 0.5 < result.total.service_level < 1  # type: ignore[operator]
    assert 0.6 < result.occupancy < 0.95  # type: ignore[operator]


def test_queue_length_and_staffing_series() -> None:
    result = simulate(demo_scenario(), seed=2)
    assert len(result.intervals) == 24
    first, before_lunch, lunch = result.intervals[0], result.intervals[7], result.intervals[8]
    assert first.start == 8 * 3600
    assert first.agents_staffed == pytest.approx(4.0)  # Ana, Diego, Elisa, Isabela at 08:00
    assert lunch.agents_staffed < before_lunch.agents_staffed
    assert max(row.peak_waiting for row in result.intervals) >= 1
    assert all(row.average_waiting <= row.peak_waiting for row in result.intervals)
    for row in result.intervals:
        assert sum(row.waiting_by_queue.values()) == pytest.approx(row.average_waiting)


def test_json_scenarios_round_trip() -> None:
    scenario = demo_scenario()
    again = scenario_from_data(json.loads(json.dumps(scenario.to_data())))
    assert again == scenario
    assert _figures(simulate(again, seed=4)) == _figures(simulate(scenario, seed=4))


def test_contacts_routing_gives_up_on_are_canceled_not_abandoned() -> None:
    """No filter matches the first stream; the second times out of its only step (30 s) with
    nobody to take it. Both end canceled by the engine, in the queue they were in."""
    data = single_queue(1, 20, 100, hours=2).to_data()
    data["workflow"]["configuration"] = {
        "task_routing": {
            "filters": [
                {"expression": "motivo == 'x'", "targets": [{"queue": "WQ1", "timeout": 30}]}
            ]
        }
    }
    data["demand"].append(dict(data["demand"][0], name="x", attributes={"motivo": "x"}))
    data["agents"][0]["shifts"] = [["03:00", "04:00"]]
    result = simulate(scenario_from_data(data), seed=1)
    assert result.total.handled == 0
    assert result.total.abandoned == 0
    assert result.by_queue["(sem fila)"].canceled > 0
    assert result.by_queue["Fila"].canceled > 0
    assert result.total.canceled == result.total.offered
