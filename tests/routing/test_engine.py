"""The task and reservation lifecycles, the events they emit, refused commands, change sets."""

from __future__ import annotations

import pytest

from atende.routing.errors import (
    InvalidTransitionError,
    ResourceInUseError,
    RoutingError,
    UnknownResourceError,
)
from atende.routing.model import ReservationStatus, TaskStatus
from tests.routing.test_engine_harness import AVAILABLE, BUSY, OFFLINE, Center, types


@pytest.fixture
def center() -> Center:
    return Center()


def support(center: Center) -> str:
    queue = center.queue("support", "skills HAS 'support'")
    return center.simple_workflow(queue)


def test_a_task_is_reserved_accepted_wrapped_and_completed(center: Center) -> None:
    workflow = support(center)
    alice = center.worker("alice", {"skills": ["support"]})
    center.clock.tick(5)

    created = center.engine.create_task(workflow_sid=workflow, attributes={"type": "claim"})
    assert types(created) == [
        "task.created",
        "workflow.entered",
        "workflow.target-matched",
        "task-queue.entered",
        "reservation.created",
    ]
    task_sid = created[0].resource_sid
    assert created[0].task_assignment_status == "pending"
    offer = created[-1]
    assert offer.worker_sid == alice
    assert offer.task_assignment_status == "reserved"
    assert center.engine.tasks[task_sid].assignment_status is TaskStatus.RESERVED

    center.clock.tick(3)
    accepted = center.engine.accept_reservation(offer.resource_sid)
    assert types(accepted) == ["reservation.accepted"]
    assert accepted[0].task_age == 3
    assert center.engine.tasks[task_sid].assignment_status is TaskStatus.ASSIGNED
    assert center.engine.workers[alice].assigned_tasks == 1

    wrapped = center.engine.wrap_reservation(offer.resource_sid)
    assert types(wrapped) == ["task.wrapup", "reservation.wrapup"]
    completed = center.engine.complete_reservation(offer.resource_sid, reason="resolved")
    assert types(completed) == ["task.completed", "reservation.completed"]
    task = center.engine.tasks[task_sid]
    assert (task.assignment_status, task.reason) == (TaskStatus.COMPLETED, "resolved")
    assert center.engine.reservations[offer.resource_sid].status is ReservationStatus.COMPLETED
    assert center.engine.workers[alice].occupied == 0


def test_a_task_waits_until_an_eligible_worker_becomes_available(center: Center) -> None:
    workflow = support(center)
    bob = center.worker("bob", {"skills": ["support"]}, available=False)
    center.worker("carol", {"skills": ["sales"]})
    task = center.task(workflow)
    assert center.engine.tasks[task].assignment_status is TaskStatus.PENDING
    assert center.engine.queued_tasks(center.engine.tasks[task].queue_sid or "") == [task]

    events = center.engine.set_worker_activity(bob, AVAILABLE)
    assert types(events) == ["worker.activity.update", "reservation.created"]
    assert events[0].worker_previous_activity_sid == OFFLINE
    assert center.assigned_worker(task) == bob


def test_queue_membership_follows_worker_attributes(center: Center) -> None:
    queue = center.queue("support", "skills HAS 'support'")
    workflow = center.simple_workflow(queue)
    dan = center.worker("dan", {"skills": []})
    assert center.engine.eligible_workers(queue) == []
    task = center.task(workflow)

    events = center.engine.upsert_worker(dan, attributes={"skills": ["support"]})
    assert types(events) == ["worker.attributes.update", "reservation.created"]
    assert center.engine.eligible_workers(queue) == [dan]
    assert center.assigned_worker(task) == dan


def test_changing_a_queue_expression_recomputes_its_members(center: Center) -> None:
    queue = center.queue("support", "skills HAS 'support'")
    workflow = center.simple_workflow(queue)
    erin = center.worker("erin", {"skills": ["sales"]})
    task = center.task(workflow)
    assert center.assigned_worker(task) is None

    center.queue("support", "skills HAS 'sales'")
    assert center.engine.eligible_workers(queue) == [erin]
    assert center.assigned_worker(task) == erin


def test_canceling_a_reserved_task_cancels_its_offer_and_frees_the_worker(center: Center) -> None:
    workflow = support(center)
    frank = center.worker("frank", {"skills": ["support"]})
    task = center.task(workflow)
    offer = center.pending_reservation(task)

    events = center.engine.update_task(task, assignment_status="canceled", reason="hung up")
    assert types(events) == ["reservation.canceled", "task.canceled"]
    assert events[-1].task_reason == "hung up"
    assert center.engine.reservations[offer.sid].status is ReservationStatus.CANCELED
    assert center.engine.workers[frank].occupied == 0
    # Frank is free again: the next task goes to him.
    assert center.assigned_worker(center.task(workflow)) == frank


def test_rejecting_offers_the_task_again_and_a_new_activity_stops_that(center: Center) -> None:
    workflow = support(center)
    gus = center.worker("gus", {"skills": ["support"]})
    task = center.task(workflow)
    first = center.pending_reservation(task)

    again = center.engine.reject_reservation(first.sid)
    assert types(again) == ["reservation.rejected", "reservation.created"]
    assert center.assigned_worker(task) == gus  # TaskRouter may offer it to gus again

    second = center.pending_reservation(task)
    events = center.engine.reject_reservation(second.sid, activity_sid=BUSY)
    assert types(events) == ["reservation.rejected", "worker.activity.update"]
    assert center.engine.tasks[task].assignment_status is TaskStatus.PENDING
    assert center.engine.workers[gus].activity_sid == BUSY


def test_new_attributes_route_a_waiting_task_again(center: Center) -> None:
    sales = center.queue("sales", "skills HAS 'sales'")
    care = center.queue("care", "skills HAS 'care'")
    workflow = center.workflow(
        "by-type",
        {
            "task_routing": {
                "filters": [{"expression": "type == 'sales'", "targets": [{"queue": sales}]}],
                "default_filter": {"queue": care},
            }
        },
    )
    helen = center.worker("helen", {"skills": ["care"]})
    center.worker("ivan", {"skills": ["sales"]}, available=False)
    task = center.task(workflow, {"type": "sales"})
    assert center.engine.tasks[task].queue_sid == sales

    events = center.engine.update_task(task, attributes={"type": "claim"})
    assert types(events) == [
        "task.updated",
        "task-queue.moved",
        "workflow.target-matched",
        "task-queue.entered",
        "reservation.created",
    ]
    assert events[1].queue_sid == sales
    assert center.assigned_worker(task) == helen


def test_a_reserved_task_routed_again_loses_its_offer(center: Center) -> None:
    workflow = support(center)
    center.worker("jo", {"skills": ["support"]})
    task = center.task(workflow)
    offer = center.pending_reservation(task)
    events = center.engine.update_task(task, attributes={"lang": "pt"})
    assert types(events)[:2] == ["task.updated", "reservation.canceled"]
    assert center.engine.reservations[offer.sid].status is ReservationStatus.CANCELED
    assert center.pending_reservation(task).sid != offer.sid


def test_deleting_an_assigned_task_frees_its_worker(center: Center) -> None:
    workflow = support(center)
    kim = center.worker("kim", {"skills": ["support"]})
    task = center.task(workflow)
    center.engine.accept_reservation(center.pending_reservation(task).sid)

    events = center.engine.delete_task(task)
    assert types(events) == ["reservation.canceled", "task.deleted"]
    assert task not in center.engine.tasks
    assert center.engine.workers[kim].occupied == 0
    changes = center.engine.drain_changes()
    assert task in changes.task_sids


@pytest.mark.parametrize(
    ("status", "from_status"),
    [("completed", "pending"), ("wrapping", "reserved"), ("pending", "pending")],
)
def test_status_changes_outside_the_lifecycle_are_refused(
    center: Center, status: str, from_status: str
) -> None:
    workflow = support(center)
    if from_status == "reserved":
        center.worker("lee", {"skills": ["support"]})
    task = center.task(workflow)
    assert center.engine.tasks[task].assignment_status == from_status
    with pytest.raises(InvalidTransitionError):
        center.engine.update_task(task, assignment_status=status)
    assert center.engine.tasks[task].assignment_status == from_status


def test_a_completed_task_cannot_be_canceled_and_an_ended_offer_cannot_be_accepted(
    center: Center,
) -> None:
    workflow = support(center)
    center.worker("max", {"skills": ["support"]})
    task = center.task(workflow)
    offer = center.pending_reservation(task)
    center.engine.accept_reservation(offer.sid)
    center.engine.update_task(task, assignment_status="completed")
    with pytest.raises(InvalidTransitionError):
        center.engine.update_task(task, assignment_status="canceled")
    with pytest.raises(InvalidTransitionError):
        center.engine.accept_reservation(offer.sid)


def test_unknown_sids_and_bad_values_are_refused_without_changes(center: Center) -> None:
    workflow = support(center)
    with pytest.raises(UnknownResourceError) as unknown:
        center.engine.create_task(workflow_sid="WWmissing")
    assert unknown.value.resource == "workflow"
    with pytest.raises(UnknownResourceError):
        center.engine.create_task(workflow_sid=workflow, task_channel="fax")
    with pytest.raises(RoutingError):
        center.engine.create_task(workflow_sid=workflow, priority=-1)
    with pytest.raises(RoutingError):
        center.engine.create_task(workflow_sid=workflow, timeout=2_000_000)
    with pytest.raises(UnknownResourceError):
        center.engine.accept_reservation("WRmissing")
    assert center.engine.tasks == {}
    assert center.engine.drain_changes().task_sids == set()


def test_things_in_use_cannot_be_removed(center: Center) -> None:
    queue = center.queue("support")
    workflow = center.simple_workflow(queue)
    nia = center.worker("nia")
    center.task(workflow)
    with pytest.raises(ResourceInUseError):
        center.engine.remove_task_queue(queue)
    with pytest.raises(ResourceInUseError):
        center.engine.remove_workflow(workflow)
    with pytest.raises(ResourceInUseError):
        center.engine.remove_worker(nia)
    with pytest.raises(ResourceInUseError):
        center.engine.remove_activity(AVAILABLE)
    with pytest.raises(ResourceInUseError):
        center.engine.remove_activity(OFFLINE)  # the workspace's default activity


def test_removing_unused_resources(center: Center) -> None:
    queue = center.queue("spare")
    oscar = center.worker("oscar")
    assert types(center.engine.remove_worker(oscar)) == ["worker.deleted"]
    assert center.engine.eligible_workers(queue) == []
    assert types(center.engine.remove_task_queue(queue)) == ["task-queue.deleted"]
    assert types(center.engine.remove_activity(BUSY)) == ["activity.deleted"]
    assert oscar not in center.engine.workers


def test_an_activity_keeps_its_availability(center: Center) -> None:
    from atende.routing.model import Activity

    with pytest.raises(InvalidTransitionError):
        center.engine.upsert_activity(Activity(BUSY, "Busy", True))
    events = center.engine.upsert_activity(Activity(BUSY, "Lunch", False))
    assert types(events) == ["activity.updated"]


def test_worker_friendly_names_are_unique_ignoring_case(center: Center) -> None:
    center.worker("Paula")
    with pytest.raises(RoutingError):
        center.engine.upsert_worker("WKother", friendly_name="paula")


def test_drain_reports_changes_once_and_forgets_finished_tasks_one_drain_later(
    center: Center,
) -> None:
    workflow = support(center)
    quinn = center.worker("quinn", {"skills": ["support"]})
    center.engine.drain_changes()
    task = center.task(workflow)
    offer = center.pending_reservation(task)
    changes = center.engine.drain_changes()
    assert changes.task_sids == {task}
    assert changes.reservation_sids == {offer.sid}
    assert changes.worker_sids == {quinn}
    assert center.engine.drain_changes().task_sids == set()

    center.engine.accept_reservation(offer.sid)
    center.engine.update_task(task, assignment_status="completed")
    assert center.engine.drain_changes().task_sids == {task}
    assert center.engine.tasks[task].assignment_status is TaskStatus.COMPLETED  # still readable
    center.engine.drain_changes()
    assert task not in center.engine.tasks
    assert offer.sid not in center.engine.reservations


def test_worker_channel_capacity_and_availability_changes_emit_events(center: Center) -> None:
    rita = center.worker("rita")
    events = center.engine.update_worker_channel(rita, "chat", capacity=3)
    assert types(events) == ["worker.capacity.update"]
    assert events[0].data is not None
    assert events[0].data["previous_capacity"] == 1
    assert events[0].data["configured_capacity"] == 3
    events = center.engine.update_worker_channel(rita, "chat", available=False)
    assert types(events) == ["worker.channel.availability.update"]
    assert center.engine.update_worker_channel(rita, "chat", capacity=3) == []


def test_event_descriptions_name_the_resources(center: Center) -> None:
    workflow = support(center)
    sam = center.worker("sam", {"skills": ["support"]})
    events = center.engine.create_task(workflow_sid=workflow)
    assert events[0].description == f"Task {events[0].resource_sid} created"
    assert sam in events[-1].description
