"""Ready-made scenarios: the demo broker's day, and a larger synthetic center for benchmarks.

The demo scenario is built from :mod:`atende.demo.company`, the same data that seeds
``atende demo``, so the simulated center has the live demo's queues, workflow and people.
"""

from __future__ import annotations

import json

from atende.demo import company
from atende.simulation.distributions import Distribution
from atende.simulation.scenario import (
    AgentSpec,
    ChannelSpec,
    DemandStream,
    QueueSpec,
    Scenario,
    Shift,
    WorkflowSpec,
    stable_sid,
)

HOUR = 3600.0
HALF_HOUR = 1800.0

# Share of a day's contacts in each half hour from 08:00 to 20:00: a morning peak around
# 10:00-11:30, a dip at lunch, a second peak mid-afternoon and a quiet evening.
DAY_PROFILE: tuple[float, ...] = (
    0.020, 0.032, 0.045, 0.055, 0.060, 0.062, 0.060, 0.055, 0.046, 0.040, 0.042, 0.048,
    0.052, 0.055, 0.054, 0.050, 0.045, 0.040, 0.035, 0.030, 0.026, 0.020, 0.015, 0.013,
)  # fmt: skip

# What each channel looks like to the simulated customers and agents.
SERVICE_LEVEL_SECONDS = {"voice": 20.0, "whatsapp": 120.0, "webchat": 60.0, "sms": 300.0}
HANDLE_TIME = {
    "voice": Distribution("lognormal", 300.0, 150.0),
    "whatsapp": Distribution("lognormal", 900.0, 450.0),
}
PATIENCE = {
    "voice": Distribution("exponential", 120.0),
    "whatsapp": Distribution("exponential", 1800.0),
}
WRAP_UP = {"voice": Distribution("constant", 20.0)}

# Two blocks with an hour's lunch between them, staggered so the day is covered 08:00-20:00.
EARLY = (("08:00", "12:00"), ("13:00", "17:00"))
MID = (("09:00", "13:00"), ("14:00", "18:00"))
LATE = (("11:00", "15:00"), ("16:00", "20:00"))
NOON = (("12:00", "16:00"), ("17:00", "20:00"))
DEMO_SHIFTS: dict[str, tuple[tuple[str, str], ...]] = {
    "ana": EARLY,
    "bruno": MID,
    "carla": LATE,
    "diego": EARLY,
    "elisa": EARLY,
    "fabio": NOON,
    "gabriela": LATE,
    "heitor": LATE,
    "isabela": EARLY,
    "joao": NOON,
}
"""Chosen so every skill (retention and ombudsman above all) has someone in all day."""

DEMO_CONTACTS_PER_DAY = 720


def _clock(text: str) -> float:
    hours, minutes = text.split(":")
    return int(hours) * HOUR + int(minutes) * 60


def _shifts(pattern: tuple[tuple[str, str], ...]) -> tuple[Shift, ...]:
    return tuple(Shift(_clock(start), _clock(end)) for start, end in pattern)


def demo_scenario(contacts_per_day: float = DEMO_CONTACTS_PER_DAY) -> Scenario:
    """The demo broker's queues, workflow and ten agents on a weekday from 08:00 to 20:00."""
    queue_sids = {queue.key: stable_sid("WQ", f"demo:{queue.key}") for queue in company.ALL_QUEUES}
    queues = tuple(
        QueueSpec(queue_sids[queue.key], queue.name, queue.target_workers)
        for queue in company.ALL_QUEUES
    )
    channels = tuple(
        ChannelSpec(name, friendly, capacity, SERVICE_LEVEL_SECONDS.get(name, 60.0))
        for name, friendly, capacity in company.CHANNELS
    )
    total_weight = sum(weight for _, _, weight in company.DEMAND)
    demand = tuple(
        DemandStream(
            name=f"{motivo}/{channel}",
            channel=channel,
            attributes={"motivo": motivo, "channel": channel},
            volumes=tuple(
                round(contacts_per_day * weight / total_weight * share, 3) for share in DAY_PROFILE
            ),
            handle_time=HANDLE_TIME.get(channel, HANDLE_TIME["whatsapp"]),
            patience=PATIENCE.get(channel, PATIENCE["whatsapp"]),
            wrap_up=WRAP_UP.get(channel),
        )
        for motivo, channel, weight in company.DEMAND
    )
    agents = tuple(
        AgentSpec(
            name=agent.name,
            attributes=json.loads(agent.attributes()),
            shifts=_shifts(DEMO_SHIFTS.get(agent.email_user, EARLY)),
            channels=dict(agent.channels) or None,
        )
        for agent in company.AGENTS
    )
    return Scenario(
        name=company.WORKSPACE_NAME,
        day_start=8 * HOUR,
        interval_seconds=HALF_HOUR,
        channels=channels,
        queues=queues,
        workflow=WorkflowSpec(
            stable_sid("WW", "demo:workflow"),
            "Atendimento",
            company.workflow_configuration(queue_sids),
        ),
        demand=demand,
        agents=agents,
    )


LUNCH_HOURS = (11, 12, 13)


def large_scenario(queue_count: int = 10, agent_count: int = 100) -> Scenario:
    """A voice center of ``queue_count`` queues and ``agent_count`` agents, about 85% busy.

    Each team has the skills of two neighbouring queues and takes lunch in three turns
    (11:00, 12:00, 13:00); a call waiting 45 s in its own queue moves to the queue half the
    center away, so workflow timeouts fire all day.
    """
    if queue_count < 1 or agent_count < queue_count * len(LUNCH_HOURS):
        raise ValueError("need at least one queue and three agents per queue")
    queue_sids = [stable_sid("WQ", f"large:{index}") for index in range(queue_count)]
    queues = tuple(
        QueueSpec(sid, f"Fila {index + 1}", f"skills HAS 'fila{index}'")
        for index, sid in enumerate(queue_sids)
    )
    filters = [
        {
            "filter_friendly_name": f"Fila {index + 1}",
            "expression": f"fila == {index}",
            "targets": [
                {"queue": queue_sids[index], "timeout": 45},
                {"queue": queue_sids[(index + queue_count // 2) % queue_count]},
            ],
        }
        for index in range(queue_count)
    ]
    configuration = json.dumps(
        {"task_routing": {"filters": filters, "default_filter": {"queue": queue_sids[0]}}}
    )
    handle = Distribution("lognormal", 300.0, 150.0)
    wrap = Distribution("constant", 15.0)
    busy_per_call = handle.mean + wrap.mean
    agents_per_queue = agent_count / queue_count
    volumes = tuple(
        round(agents_per_queue * present * 0.85 * HALF_HOUR / busy_per_call, 3)
        for present in _present_share()
    )
    demand = tuple(
        DemandStream(
            name=f"fila{index}",
            channel="voice",
            attributes={"fila": index},
            volumes=volumes,
            handle_time=handle,
            patience=Distribution("exponential", 180.0),
            wrap_up=wrap,
        )
        for index in range(queue_count)
    )
    agents = []
    sizes = _split(agent_count, queue_count * len(LUNCH_HOURS))
    for index in range(queue_count):
        for turn, hour in enumerate(LUNCH_HOURS):
            agents.append(
                AgentSpec(
                    name=f"Equipe {index + 1} almoço {hour}h",
                    attributes={"skills": [f"fila{index}", f"fila{(index + 1) % queue_count}"]},
                    shifts=(Shift(8 * HOUR, hour * HOUR), Shift((hour + 1) * HOUR, 20 * HOUR)),
                    channels={"voice": 1},
                    count=sizes[index * len(LUNCH_HOURS) + turn],
                )
            )
    return Scenario(
        name=f"Centro sintético ({queue_count} filas, {agent_count} agentes)",
        day_start=8 * HOUR,
        interval_seconds=HALF_HOUR,
        channels=(ChannelSpec("voice", "Voz", 1, 20.0),),
        queues=queues,
        workflow=WorkflowSpec(stable_sid("WW", "large:workflow"), "Sintético", configuration),
        demand=demand,
        agents=tuple(agents),
    )


def _present_share() -> tuple[float, ...]:
    """Share of the team on shift in each half hour from 08:00 to 20:00 (a third at lunch
    from 11:00 to 14:00)."""
    lunch = (11 * HOUR, 14 * HOUR)
    starts = (8 * HOUR + index * HALF_HOUR for index in range(24))
    return tuple(2 / 3 if lunch[0] <= start < lunch[1] else 1.0 for start in starts)


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]
