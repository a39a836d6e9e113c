"""RoutingTarget: a task sent straight to a queue or a worker, past its workflow's filters."""

from __future__ import annotations

import pytest

from atende.routing.engine import RoutingEngine
from atende.routing.errors import RoutingError
from atende.routing.model import TaskStatus
from tests.routing.test_engine_harness import (
    AVAILABLE,
    OFFLINE,
    Center,
    CountingSids,
    ManualClock,
    channel_sid,
)


class Desk:
    """Sales and care queues; the workflow sends everything to sales."""

    def __init__(self) -> None:
        self.center = Center()
        self.sales = self.center.queue("sales", "team == 'sales'")
        self.care = self.center.queue("care", "team == 'care'")
        self.workflow = self.center.simple_workflow(self.sales)
        self.sofia = self.center.worker("sofia", {"team": "sales"})
        self.caio = self.center.worker("caio", {"team": "care"})
        self.carla = self.center.worker("carla", {"team": "care"})

    def task(self, **kwargs: object) -> str:
        return self.center.task(self.workflow, {"type": "claim"}, **kwargs)


@pytest.fixture
def desk() -> Desk:
    return Desk()


def test_a_task_routed_to_a_queue_skips_the_workflow_filters(desk: Desk) -> None:
    task = desk.task(routing_target=desk.care)
    assert desk.center.engine.tasks[task].queue_sid == desk.care
    assert desk.center.assigned_worker(task) == desk.caio
    assert desk.center.engine.tasks[task].routing_target == desk.care


def test_a_task_routed_to_a_workflow_follows_that_workflow(desk: Desk) -> None:
    task = desk.task(routing_target=desk.workflow)
    assert desk.center.assigned_worker(task) == desk.sofia


def test_a_task_routed_to_a_worker_reaches_it_even_when_it_is_offline_or_full(
    desk: Desk,
) -> None:
    engine = desk.center.engine
    engine.set_worker_activity(desk.carla, OFFLINE)
    task = desk.task(routing_target=desk.carla)
    assert desk.center.assigned_worker(task) == desk.carla
    assert engine.tasks[task].ignore_capacity
    assert engine.tasks[task].queue_sid == desk.care
    # Full on its channel: a second task for it still arrives, over capacity.
    engine.set_worker_activity(desk.carla, AVAILABLE)
    again = desk.task(routing_target=desk.carla)
    assert desk.center.assigned_worker(again) == desk.carla
    assert engine.workers[desk.carla].channels[channel_sid("default")].reserved_tasks == 2


def test_respecting_capacity_the_task_waits_for_that_worker_alone(desk: Desk) -> None:
    engine = desk.center.engine
    engine.set_worker_activity(desk.carla, OFFLINE)
    task = desk.task(routing_target=desk.carla, ignore_capacity=False)
    assert engine.tasks[task].assignment_status is TaskStatus.PENDING
    assert desk.center.assigned_worker(task) is None  # caio is free but not the target
    engine.set_worker_activity(desk.carla, AVAILABLE)
    assert desk.center.assigned_worker(task) == desk.carla


def test_a_refused_direct_offer_waits_until_the_worker_can_take_it(desk: Desk) -> None:
    engine = desk.center.engine
    engine.set_worker_activity(desk.carla, OFFLINE)
    task = desk.task(routing_target=desk.carla)
    engine.reject_reservation(desk.center.pending_reservation(task).sid)
    assert engine.tasks[task].assignment_status is TaskStatus.PENDING
    assert desk.center.assigned_worker(task) is None
    engine.set_worker_activity(desk.carla, AVAILABLE)
    assert desk.center.assigned_worker(task) == desk.carla


def test_new_attributes_keep_a_direct_task_on_its_target(desk: Desk) -> None:
    engine = desk.center.engine
    engine.set_worker_activity(desk.caio, OFFLINE)
    engine.set_worker_activity(desk.carla, OFFLINE)
    task = desk.task(routing_target=desk.care)
    engine.update_task(task, attributes={"type": "sales"})
    assert engine.tasks[task].queue_sid == desk.care
    assert desk.center.assigned_worker(task) is None  # sofia (sales) is not offered it


def test_a_named_queue_is_where_a_task_for_a_worker_waits(desk: Desk) -> None:
    everyone = desk.center.queue("everyone")
    task = desk.task(routing_target=desk.caio, task_queue_sid=everyone)
    reservation = desk.center.pending_reservation(task)
    assert (reservation.worker_sid, reservation.queue_sid) == (desk.caio, everyone)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"routing_target": "WK" + "9" * 32}, "unknown worker"),
        ({"routing_target": "WQ" + "9" * 32}, "unknown task queue"),
        ({"routing_target": "XX123"}, "is not a worker .WK., task queue .WQ. or workflow"),
        ({"routing_target": "sales"}, "is not a worker"),
        ({"ignore_capacity": True}, "only applies when routing_target is a worker"),
        ({"routing_target": "care", "ignore_capacity": False}, "only applies"),
        ({"task_queue_sid": "care"}, "task_queue_sid only applies"),
    ],
)
def test_inconsistent_routing_targets_are_refused_and_change_nothing(
    desk: Desk, arguments: dict[str, object], message: str
) -> None:
    if arguments.get("routing_target") == "care":
        arguments = {**arguments, "routing_target": desk.care}
    if arguments.get("task_queue_sid") == "care":
        arguments = {**arguments, "task_queue_sid": desk.care}
    with pytest.raises(RoutingError, match=message):
        desk.task(**arguments)
    assert not desk.center.engine.tasks


def test_a_worker_outside_the_named_queue_or_in_no_queue_is_refused(desk: Desk) -> None:
    with pytest.raises(RoutingError, match="is not in task queue"):
        desk.task(routing_target=desk.caio, task_queue_sid=desk.sales)
    loner = desk.center.worker("loner", {"team": "none"})
    with pytest.raises(RoutingError, match="is in no task queue"):
        desk.task(routing_target=loner)
    other = desk.center.simple_workflow(desk.care, "care-only")
    with pytest.raises(RoutingError, match="the task's workflow is"):
        desk.task(routing_target=other)


def test_a_direct_task_survives_a_restart(desk: Desk) -> None:
    engine = desk.center.engine
    engine.set_worker_activity(desk.carla, OFFLINE)
    task = desk.task(routing_target=desk.carla, ignore_capacity=False)
    clock = ManualClock(desk.center.clock.now)
    restarted = RoutingEngine(clock, CountingSids(desk.center.sids.issued + 1))
    restarted.restore(engine.snapshot())
    assert restarted.tasks[task].routing_target == desk.carla
    restarted.set_worker_activity(desk.caio, AVAILABLE)
    assert restarted.tasks[task].assignment_status is TaskStatus.PENDING
    restarted.set_worker_activity(desk.carla, AVAILABLE)
    offered = [r.worker_sid for r in restarted.task_reservations(task)]
    assert offered == [desk.carla]
