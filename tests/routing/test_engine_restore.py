"""Rebuilding the engine from persisted state: timers resume from persisted instants."""

from __future__ import annotations

import pytest

from atende.routing.engine import RoutingEngine
from atende.routing.errors import RoutingError
from atende.routing.events import RoutingEvent
from atende.routing.model import ReservationStatus, TaskStatus
from tests.routing.test_engine_harness import (
    OFFLINE,
    Center,
    CountingSids,
    ManualClock,
    types,
)


def signature(events: list[RoutingEvent]) -> list[tuple[str, str, float]]:
    return [(event.event_type, event.resource_sid, event.occurred_at) for event in events]


def busy_center() -> tuple[Center, dict[str, str]]:
    """A waiting task with a step timeout, a reserved one, an assigned one, a free worker."""
    center = Center()
    urgent = center.queue("urgent", "team == 'a'")
    overflow = center.queue("overflow")
    workflow = center.workflow(
        "escalate",
        {
            "task_routing": {
                "filters": [
                    {
                        "expression": "1==1",
                        "targets": [{"queue": urgent, "timeout": 40}, {"queue": overflow}],
                    }
                ]
            }
        },
        reservation_timeout=30,
    )
    alice = center.worker("alice", {"team": "a"})
    bob = center.worker("bob", {"team": "a"})
    assigned = center.task(workflow)
    center.engine.accept_reservation(center.pending_reservation(assigned).sid)
    center.clock.tick(5)
    reserved = center.task(workflow)
    center.clock.tick(5)
    waiting = center.task(workflow, timeout=600)
    center.clock.tick(5)
    carol = center.worker("carol", {"team": "b"}, available=False)
    return center, {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "assigned": assigned,
        "reserved": reserved,
        "waiting": waiting,
    }


def restored_copy(center: Center, *, at: float) -> tuple[RoutingEngine, ManualClock]:
    clock = ManualClock(at)
    engine = RoutingEngine(clock, CountingSids(center.sids.issued + 1))
    assert engine.restore(center.engine.snapshot()) == []
    return engine, clock


def test_a_restored_engine_behaves_exactly_like_the_one_that_kept_running() -> None:
    center, _ = busy_center()
    restarted, clock = restored_copy(center, at=center.clock.now)
    assert restarted.next_deadline() == center.engine.next_deadline()
    rounds = 0
    while (deadline := center.engine.next_deadline()) is not None:
        center.clock.now = clock.now = deadline
        expected = center.engine.advance()
        assert signature(restarted.advance()) == signature(expected)
        assert restarted.next_deadline() == center.engine.next_deadline()
        rounds += 1
    assert rounds >= 3
    assert center.engine.tasks.keys() == restarted.tasks.keys()
    for sid, task in center.engine.tasks.items():
        assert restarted.tasks[sid] == task


def test_deadlines_that_passed_while_down_fire_on_restore_in_deadline_order() -> None:
    center, sids = busy_center()
    offer = center.pending_reservation(sids["reserved"])
    waiting_deadline = center.engine.tasks[sids["waiting"]].target_deadline
    assert waiting_deadline is not None and offer.timeout_at < waiting_deadline

    clock = ManualClock(waiting_deadline + 1)
    engine = RoutingEngine(clock, CountingSids(center.sids.issued + 1))
    events = engine.restore(center.engine.snapshot())
    assert types(events) == [
        "reservation.timeout",
        "worker.activity.update",
        "task-queue.timeout",
        "workflow.target-matched",
        "task-queue.entered",
        "task-queue.timeout",
        "workflow.target-matched",
        "task-queue.entered",
    ]
    assert events[0].resource_sid == offer.sid
    assert engine.reservations[offer.sid].status is ReservationStatus.TIMEOUT
    assert engine.workers[offer.worker_sid].activity_sid == OFFLINE
    assert all(engine.tasks[sids[name]].target_index == 1 for name in ("reserved", "waiting"))


def test_capacity_is_recomputed_from_reservations_not_trusted_from_storage() -> None:
    center, sids = busy_center()
    snapshot = center.engine.snapshot()
    for worker in snapshot.workers:
        for channel in worker.channels.values():
            channel.assigned_tasks = 7  # whatever a stale row says
    engine = RoutingEngine(ManualClock(center.clock.now), CountingSids(center.sids.issued + 1))
    engine.restore(snapshot)
    alice = engine.workers[sids["alice"]]
    assert alice.assigned_tasks == 1
    assert engine.workers[sids["carol"]].assigned_tasks == 0


def test_a_restored_engine_keeps_routing_longest_idle_first() -> None:
    center = Center()
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    later = center.worker("later")
    center.clock.tick(-10)  # created "earlier" by persisted idle times, not by load order
    earlier = center.worker("earlier")
    engine, _ = restored_copy(center, at=center.clock.now + 100)
    events = engine.create_task(workflow_sid=workflow)
    assert events[-1].worker_sid == earlier
    assert later != earlier


def test_a_waiting_task_whose_workflow_changed_shape_is_routed_afresh() -> None:
    center = Center()
    first = center.queue("first")
    workflow = center.workflow(
        "two-filters",
        {
            "task_routing": {
                "filters": [
                    {"expression": "1==1", "targets": [{"queue": first}]},
                    {"expression": "1==1", "targets": [{"queue": first}]},
                ]
            }
        },
    )
    task = center.task(workflow)
    snapshot = center.engine.snapshot()
    snapshot.tasks[0].filter_index = 5  # stored under an older, longer configuration
    engine = RoutingEngine(ManualClock(center.clock.now), CountingSids(100))
    events = engine.restore(snapshot)
    assert types(events) == ["workflow.target-matched"]
    assert engine.tasks[task].filter_index == 0
    assert engine.tasks[task].assignment_status is TaskStatus.PENDING


def test_finished_tasks_are_not_restored() -> None:
    center, _ = busy_center()
    snapshot = center.engine.snapshot()
    finished = snapshot.tasks[0]
    finished.assignment_status = TaskStatus.COMPLETED
    engine = RoutingEngine(ManualClock(center.clock.now), CountingSids(100))
    engine.restore(snapshot)
    assert finished.sid not in engine.tasks


def test_restore_needs_an_empty_engine() -> None:
    center, _ = busy_center()
    with pytest.raises(RoutingError):
        center.engine.restore(center.engine.snapshot())
