"""Simulator and staffing figures.

* A simulated day of the synthetic 10-queue, 100-agent center through the real routing engine,
  against a bare event loop serving the same number of calls with no routing at all (the ratio
  is what routing costs per contact).
* The simulator's service level for an Erlang C queue against Erlang C's own prediction
  (ratio near 1 means the engine and the simulator behave as the theory says).
* An Erlang A forecast for a 1,000-erlang interval against the Erlang C one.
"""

from __future__ import annotations

import heapq
import random
import time
from typing import Any

from atende.simulation.builtin import large_scenario
from atende.simulation.erlang import erlang_a_forecast, erlang_c_forecast
from atende.simulation.scenario import scenario_from_data
from atende.simulation.simulator import simulate

DAY_GOAL_SECONDS = 10.0


def _bare_loop(calls: int, agents: int, seed: int = 1) -> float:
    """Seconds to run ``calls`` arrivals through a pooled M/M/N heap loop: the floor."""
    rng = random.Random(seed)
    started = time.perf_counter()
    events: list[tuple[float, int, int]] = []
    now, free, waiting, sequence = 0.0, agents, 0, 0
    arrivals = 0
    heapq.heappush(events, (rng.expovariate(1.0), 0, 0))
    while events:
        now, _, kind = heapq.heappop(events)
        sequence += 1
        if kind == 0:
            arrivals += 1
            if arrivals < calls:
                heapq.heappush(events, (now + rng.expovariate(1.0), sequence, 0))
            if free:
                free -= 1
                heapq.heappush(events, (now + rng.expovariate(1 / 80), sequence, 1))
            else:
                waiting += 1
        elif waiting:
            waiting -= 1
            heapq.heappush(events, (now + rng.expovariate(1 / 80), sequence, 1))
        else:
            free += 1
    return time.perf_counter() - started


def _day_of_large_center() -> list[dict[str, Any]]:
    started = time.perf_counter()
    result = simulate(large_scenario(queue_count=10, agent_count=100), seed=1)
    elapsed = time.perf_counter() - started
    baseline = _bare_loop(result.total.offered, 100)
    return [
        {
            "name": "simulated day, 10 queues x 100 agents",
            "value": elapsed,
            "unit": "s",
            "baseline": baseline,
            "ratio": elapsed / baseline,
            "goal": f"< {DAY_GOAL_SECONDS:g} s",
            "meets": elapsed < DAY_GOAL_SECONDS,
        },
        {
            "name": "simulated contacts per second (routing engine)",
            "value": result.total.offered / elapsed,
            "unit": "contacts/s",
            "baseline": result.total.offered / baseline,
            "ratio": baseline / elapsed,
            "goal": "",
            "meets": None,
        },
    ]


def _agreement_with_erlang_c() -> dict[str, Any]:
    data = {
        "name": "Erlang C queue",
        "day_start": "00:00",
        "interval_minutes": 60,
        "channels": [{"unique_name": "voice", "service_level_seconds": 20}],
        "queues": [{"sid": "WQ1", "friendly_name": "Fila"}],
        "workflow": {"configuration": {"task_routing": {"default_filter": {"queue": "WQ1"}}}},
        "demand": [
            {
                "name": "calls",
                "channel": "voice",
                "volumes": [140] * 24,
                "handle_time": {"distribution": "exponential", "mean": 180},
            }
        ],
        "agents": [
            {"name": "Agente", "count": 10, "shifts": [["00:00", "24:00"]], "accept_delay": 0}
        ],
    }
    result = simulate(scenario_from_data(data), seed=1, days=7)
    simulated = result.total.service_level or 0.0
    predicted = erlang_c_forecast(140, 180, 10, 20).service_level
    ratio = simulated / predicted
    return {
        "name": "service level, simulator / Erlang C (7 days, 7 erlangs, 10 agents)",
        "value": simulated,
        "unit": "share",
        "baseline": predicted,
        "ratio": ratio,
        "goal": "ratio within 0.95-1.05",
        "meets": 0.95 <= ratio <= 1.05,
    }


def _erlang_a_speed() -> dict[str, Any]:
    started = time.perf_counter()
    erlang_c_forecast(12_000, 300, 1_020, 20)
    classic = time.perf_counter() - started
    started = time.perf_counter()
    erlang_a_forecast(12_000, 300, 90, 1_020, 20)
    impatient = time.perf_counter() - started
    return {
        "name": "Erlang A forecast, 1,000 erlangs (baseline: Erlang C)",
        "value": impatient * 1000,
        "unit": "ms",
        "baseline": classic * 1000,
        "ratio": impatient / classic,
        "goal": "< 100 ms",
        "meets": impatient < 0.1,
    }


def run() -> list[dict[str, Any]]:
    return [*_day_of_large_center(), _agreement_with_erlang_c(), _erlang_a_speed()]


if __name__ == "__main__":
    for entry in run():
        print(entry)
