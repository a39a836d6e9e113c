"""Scenarios as data: validation naming the JSON path at fault, resizing, distributions, and
the reporting grid."""

from __future__ import annotations

import random
import statistics
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atende.simulation.builtin import demo_scenario, large_scenario
from atende.simulation.distributions import Distribution, ScenarioError
from atende.simulation.scenario import scenario_from_data
from atende.simulation.series import IntervalGrid, LevelSeries
from tests.simulation.scenarios import single_queue


def _broken(change: Any) -> str:
    data = single_queue(2, 30, 200).to_data()
    change(data)
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data)
    return caught.value.path


def test_errors_name_the_json_path() -> None:
    assert _broken(lambda d: d["queues"][0].update(target_workers="skills HAS")) == (
        "queues[0].target_workers"
    )
    assert _broken(
        lambda d: d["workflow"]["configuration"]["task_routing"]["default_filter"].update(
            queue="WQnope"
        )
    ).startswith("workflow.configuration.task_routing.default_filter")
    assert _broken(lambda d: d["demand"][0].update(channel="fax")) == "demand[0].channel"
    assert _broken(lambda d: d["demand"][0]["volumes"].append(-1)) == "demand[0].volumes[24]"
    assert _broken(lambda d: d["demand"][0].update(handle_time={"distribution": "gamma"})) == (
        "demand[0].handle_time.distribution"
    )
    assert _broken(lambda d: d["agents"][0].update(shifts=[["18:00", "08:00"]])) == (
        "agents[0].shifts[0]"
    )
    assert _broken(lambda d: d["agents"][0].update(channels={"voice": 1, "fax": 1})) == (
        "agents[0].channels.fax"
    )
    assert _broken(lambda d: d["agents"].append(dict(d["agents"][0]))) == "agents[1].name"
    assert _broken(lambda d: d.update(day_start="8h")) == "day_start"
    assert _broken(lambda d: d.update(colour="blue")) == "colour"


def test_volumes_must_end_by_midnight() -> None:
    def late(data: dict[str, Any]) -> None:
        data["day_start"] = "12:00"

    assert _broken(late) == "demand[0].volumes"


def test_resizing_keeps_each_kind_of_agent_s_share() -> None:
    scenario = large_scenario(queue_count=10, agent_count=100)
    assert scenario.agent_count == 100
    smaller = scenario.with_agent_count(45)
    assert smaller.agent_count == 45
    counts = [agent.count for agent in smaller.agents]
    assert max(counts) - min(counts) <= 1
    demo = demo_scenario()
    doubled = demo.with_agent_count(20)
    assert [agent.count for agent in doubled.agents] == [2] * 10
    assert "Ana Souza 2" in doubled.agents[0].names()


def test_demo_scenario_is_the_demo_company() -> None:
    scenario = demo_scenario()
    assert {queue.friendly_name for queue in scenario.queues} >= {"Vendas Auto", "Reclamações"}
    assert scenario.agent_count == 10
    assert scenario.interval_count == 24
    assert scenario.day_start == 8 * 3600
    assert sum(sum(stream.volumes) for stream in scenario.demand) == pytest.approx(720, abs=1)
    assert scenario.channel("whatsapp").capacity == 3


@pytest.mark.parametrize(
    ("data", "mean"),
    [
        (30, 30.0),
        ({"distribution": "exponential", "mean": 120}, 120.0),
        ({"distribution": "lognormal", "mean": 300, "sd": 150}, 300.0),
        ({"distribution": "uniform", "low": 10, "high": 30}, 20.0),
        ({"distribution": "constant", "value": 5}, 5.0),
    ],
)
def test_distributions_have_the_stated_mean(data: Any, mean: float) -> None:
    distribution = Distribution.from_data(data, "x")
    rng = random.Random(1)
    samples = [distribution.sample(rng) for _ in range(20_000)]
    assert statistics.fmean(samples) == pytest.approx(mean, rel=0.03)
    assert min(samples) >= 0
    again = Distribution.from_data(distribution.to_data(), "x")
    assert again.kind == distribution.kind
    assert (again.mean, again.sd) == pytest.approx((distribution.mean, distribution.sd))


def test_the_lognormal_has_the_stated_spread() -> None:
    distribution = Distribution.from_data(
        {"distribution": "lognormal", "mean": 300, "sd": 150}, "x"
    )
    rng = random.Random(2)
    samples = [distribution.sample(rng) for _ in range(40_000)]
    assert statistics.stdev(samples) == pytest.approx(150, rel=0.06)


def test_grid_indexes_days_and_intervals() -> None:
    grid = IntervalGrid(day_start=8 * 3600, length=1800, count=24, days=2)
    assert len(grid) == 48
    assert grid.index(8 * 3600) == 0
    assert grid.index(8 * 3600 - 1) is None
    assert grid.index(20 * 3600) is None
    assert grid.index(86_400 + 8 * 3600 + 1800) == 25
    assert grid.start(25) == 86_400 + 8 * 3600 + 1800
    assert grid.next_index(0) == 0
    assert grid.next_index(21 * 3600) == 24
    assert grid.next_index(3 * 86_400) == 48


@settings(max_examples=200, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.floats(min_value=0, max_value=2 * 86_400), st.sampled_from([-1, 1])),
        max_size=40,
    )
)
def test_levels_average_to_their_area(changes: list[tuple[float, int]]) -> None:
    """A level's interval averages weigh each value by how long it lasted, only inside the
    reporting intervals."""
    grid = IntervalGrid(day_start=6 * 3600, length=3600, count=12, days=2)
    series = LevelSeries(grid)
    level, area_inside = 0, 0.0
    instants = sorted(changes)
    previous = 0.0
    for instant, delta in instants:
        area_inside += level * _inside(grid, previous, instant)
        series.change(instant, delta)
        level += delta
        previous = instant
    end = 2 * 86_400
    area_inside += level * _inside(grid, previous, end)
    series.close(end)
    assert sum(series.averages()) * grid.length == pytest.approx(area_inside, abs=1e-6)


def _inside(grid: IntervalGrid, begin: float, end: float) -> float:
    total = 0.0
    for day in range(grid.days):
        start = day * 86_400 + grid.day_start
        stop = start + grid.count * grid.length
        total += max(0.0, min(end, stop) - max(begin, start))
    return total
