from __future__ import annotations

from typing import Any

from atende.simulation.scenario import Scenario, scenario_from_data


def single_queue(
    agents: int,
    calls_per_hour: float,
    handle_seconds: float,
    *,
    patience: float | None = None,
    hours: int = 24,
) -> Scenario:
    """One voice queue, exponential handle times, answered at once: the Erlang C/A model."""
    stream: dict[str, Any] = {
        "name": "calls",
        "channel": "voice",
        "volumes": [calls_per_hour] * hours,
        "handle_time": {"distribution": "exponential", "mean": handle_seconds},
    }
    if patience is not None:
        stream["patience"] = {"distribution": "exponential", "mean": patience}
    return scenario_from_data(
        {
            "name": "single queue",
            "day_start": "00:00",
            "interval_minutes": 60,
            "channels": [{"unique_name": "voice", "service_level_seconds": 20}],
            "queues": [{"sid": "WQ1", "friendly_name": "Fila"}],
            "workflow": {"configuration": {"task_routing": {"default_filter": {"queue": "WQ1"}}}},
            "demand": [stream],
            "agents": [
                {
                    "name": "Agente",
                    "count": agents,
                    "shifts": [["00:00", "24:00"]],
                    "accept_delay": 0,
                }
            ],
        }
    )
