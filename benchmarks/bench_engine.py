"""Routing-core throughput: full task cycles per second on a realistic skills setup.

Scenario: 5,000 workers, 200 task queues with skill expressions (``skills HAS 'skill17' AND
languages HAS 'pt'``: 50 skills x 4 languages), 50 workflows (one per product line, as the IVR
picks them) each with one filter per language. Every worker knows 4 skills and 2 languages, so
it belongs to 8 queues and each queue has about 200 workers. Multitasking is on (TaskRouter's
default) with capacity 1 on the task's channel.

One assignment is a whole cycle: create the task (the engine routes it and reserves the longest
idle eligible worker), accept the reservation, complete the task, drain the change set as the
server does after each command. The baseline, measured in the same run, is the least a matcher
can do: a deque of waiting tasks and a deque of idle workers.
"""

from __future__ import annotations

import collections
import itertools
import random
import time
from typing import Any

from atende.routing.engine import RoutingEngine
from atende.routing.model import Activity, TaskChannel, TaskQueue, Workflow, WorkspaceSettings
from atende.routing.workflow import parse_workflow_configuration

WORKERS = 5_000
SKILLS = 50
LANGUAGES = ("pt", "en", "es", "fr")
SKILLS_PER_WORKER = 4
LANGUAGES_PER_WORKER = 2
CYCLES = 100_000
ROUNDS = 20
GOAL = 50_000.0
AVAILABLE = "WA" + "a" * 32
OFFLINE = "WA" + "0" * 32


class _Clock:
    """Simulated time: each cycle is a millisecond apart, so results never depend on speed."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _sids() -> Any:
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}{next(counter):032x}"


def _skill(index: int) -> str:
    return f"skill{index:02d}"


def build_engine(clock: _Clock) -> tuple[RoutingEngine, list[str]]:
    """The scenario's engine and its workflow SIDs (one per skill)."""
    engine = RoutingEngine(clock, _sids())
    engine.upsert_activity(Activity(AVAILABLE, "Available", True))
    engine.upsert_activity(Activity(OFFLINE, "Offline", False))
    engine.upsert_task_channel(TaskChannel("TC" + "1" * 32, "voice", "Voice"))
    engine.configure_workspace(
        WorkspaceSettings(default_activity_sid=OFFLINE, timeout_activity_sid=OFFLINE)
    )
    queue_by_pair: dict[tuple[int, str], str] = {}
    for skill, language in itertools.product(range(SKILLS), LANGUAGES):
        sid = f"WQ{len(queue_by_pair) + 1:032x}"
        queue_by_pair[(skill, language)] = sid
        expression = f"skills HAS '{_skill(skill)}' AND languages HAS '{language}'"
        engine.upsert_task_queue(TaskQueue(sid, f"{_skill(skill)}-{language}", expression))
    workflows = []
    for skill in range(SKILLS):
        filters = [
            {
                "filter_friendly_name": language,
                "expression": f"language == '{language}'",
                "targets": [{"queue": queue_by_pair[(skill, language)]}],
            }
            for language in LANGUAGES
        ]
        config = {
            "task_routing": {
                "filters": filters,
                "default_filter": {"queue": queue_by_pair[(skill, "pt")]},
            }
        }
        sid = f"WW{skill + 1:032x}"
        configuration = parse_workflow_configuration(config, engine.task_queues.keys())
        engine.upsert_workflow(Workflow(sid, _skill(skill), configuration))
        workflows.append(sid)
    rng = random.Random(7)
    for index in range(WORKERS):
        attributes = {
            "skills": [_skill(s) for s in rng.sample(range(SKILLS), SKILLS_PER_WORKER)],
            "languages": rng.sample(LANGUAGES, LANGUAGES_PER_WORKER),
        }
        engine.upsert_worker(
            f"WK{index + 1:032x}",
            friendly_name=f"agent{index}",
            attributes=attributes,
            activity_sid=AVAILABLE,
        )
    engine.drain_changes()
    return engine, workflows


def measure_engine(cycles: int = CYCLES) -> float:
    """Full task cycles per second of CPU time, the best of ``ROUNDS`` rounds (as ``timeit``
    does): the goal is per core, and CPU time keeps other processes on a shared machine from
    skewing the figure."""
    clock = _Clock()
    engine, workflows = build_engine(clock)
    rng = random.Random(11)
    per_round = cycles // ROUNDS
    requests = [
        (rng.choice(workflows), {"language": rng.choice(LANGUAGES)}) for _ in range(per_round)
    ]
    create, accept, update = engine.create_task, engine.accept_reservation, engine.update_task
    drain = engine.drain_changes
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for workflow, attributes in requests:
            clock.now += 0.001
            created = create(workflow_sid=workflow, attributes=attributes, task_channel="voice")
            reservation = created[-1]
            if reservation.event_type != "reservation.created":
                raise RuntimeError("benchmark scenario ran out of eligible workers")
            accept(reservation.resource_sid)
            update(reservation.task_sid or "", assignment_status="completed", reason="done")
            drain()
        best = min(best, time.process_time() - started)
    return per_round / best


def measure_baseline(cycles: int = CYCLES) -> float:
    """The same cycle with a FIFO deque of tasks and a deque of idle workers (best round)."""
    idle = collections.deque(range(WORKERS))
    waiting: collections.deque[int] = collections.deque()
    assigned: dict[int, int] = {}
    per_round = cycles // ROUNDS
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for task in range(per_round):
            waiting.append(task)
            current = waiting.popleft()
            assigned[current] = idle.popleft()
            idle.append(assigned.pop(current))
        best = min(best, time.process_time() - started)
    return per_round / best


def run() -> list[dict[str, Any]]:
    baseline = measure_baseline()
    value = measure_engine()
    return [
        {
            "name": "routing engine assignments (create, reserve, accept, complete)",
            "value": round(value),
            "unit": "assignments/s",
            "baseline": round(baseline),
            "ratio": value / baseline,
            "goal": GOAL,
            "meets": value >= GOAL,
        }
    ]


if __name__ == "__main__":
    for entry in run():
        print(entry)
