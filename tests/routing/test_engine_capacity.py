"""Offers and capacity: multi-reservation, reservation timeouts, multi- and single tasking, TTL."""

from __future__ import annotations

import pytest

from atende.routing.model import ReservationStatus, TaskChannel, TaskStatus
from tests.routing.test_engine_harness import (
    AVAILABLE,
    BUSY,
    OFFLINE,
    ON_CALL,
    RESERVED,
    Center,
    channel_sid,
    types,
)


@pytest.fixture
def center() -> Center:
    return Center()


def test_max_reserved_workers_offers_a_task_to_several_and_the_first_accept_wins(
    center: Center,
) -> None:
    queue = center.queue("all", max_reserved=3)
    workflow = center.simple_workflow(queue)
    workers = [center.worker(name) for name in ("ana", "bia", "caio", "duda")]
    events = center.engine.create_task(workflow_sid=workflow)
    offers = [event for event in events if event.event_type == "reservation.created"]
    assert [offer.worker_sid for offer in offers] == workers[:3]
    task = events[0].resource_sid

    accepted = center.engine.accept_reservation(offers[1].resource_sid)
    assert types(accepted) == [
        "reservation.accepted",
        "reservation.rescinded",
        "reservation.rescinded",
    ]
    statuses = {r.worker_sid: r.status for r in center.reservations(task)}
    assert statuses == {
        workers[0]: ReservationStatus.RESCINDED,
        workers[1]: ReservationStatus.ACCEPTED,
        workers[2]: ReservationStatus.RESCINDED,
    }
    assert center.engine.workers[workers[0]].occupied == 0
    with pytest.raises(ValueError):
        center.engine.accept_reservation(offers[0].resource_sid)


def test_a_multi_reserved_task_waits_again_only_when_every_offer_ended(center: Center) -> None:
    queue = center.queue("all", max_reserved=2)
    workflow = center.simple_workflow(queue)
    center.worker("eva")
    center.worker("fabio")
    task = center.task(workflow)
    first, second = center.reservations(task)
    center.engine.reject_reservation(first.sid, activity_sid=BUSY)
    assert center.engine.tasks[task].assignment_status is TaskStatus.RESERVED
    center.engine.reject_reservation(second.sid, activity_sid=BUSY)
    assert center.engine.tasks[task].assignment_status is TaskStatus.PENDING


def test_a_rerouted_multi_reserved_task_leaves_a_freed_worker_to_its_better_task() -> None:
    center = Center(multi_task=False)
    everyone = center.queue("all", max_reserved=2)
    sales = center.queue("sales", "skills HAS 'sales'")
    plain = center.simple_workflow(everyone, "plain")
    urgent = center.workflow(
        "urgent", {"task_routing": {"default_filter": {"queue": sales, "priority": 5}}}
    )
    ana = center.worker("ana", {"skills": []})
    bia = center.worker("bia", {"skills": ["sales"]})
    routine = center.task(plain, {"type": "claim"})
    assert {r.worker_sid for r in center.reservations(routine)} == {ana, bia}
    better = center.task(urgent, {"type": "sales"})
    assert center.engine.tasks[better].assignment_status is TaskStatus.PENDING

    center.engine.update_task(routine, attributes={"type": "sales"})  # offers canceled, rerouted

    assert center.assigned_worker(routine) == ana
    assert center.assigned_worker(better) == bia


def test_a_reservation_timeout_moves_the_worker_to_the_timeout_activity_and_reroutes(
    center: Center,
) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue, reservation_timeout=30)
    gabi = center.worker("gabi")
    center.clock.tick(1)
    hugo = center.worker("hugo")
    task = center.task(workflow)
    offer = center.pending_reservation(task)
    assert offer.worker_sid == gabi
    assert offer.timeout_at == center.clock.now + 30

    assert center.advance(29) == []
    events = center.advance(1)
    assert types(events) == ["reservation.timeout", "worker.activity.update", "reservation.created"]
    assert center.engine.reservations[offer.sid].status is ReservationStatus.TIMEOUT
    assert center.engine.workers[gabi].activity_sid == OFFLINE
    assert events[1].worker_previous_activity_sid == AVAILABLE
    assert center.assigned_worker(task) == hugo


def test_multitasking_counts_capacity_per_channel(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    iris = center.worker("iris")
    center.engine.update_worker_channel(iris, "chat", capacity=3)
    chats = [center.task(workflow, task_channel="chat") for _ in range(4)]
    call = center.task(workflow, task_channel="voice")
    assert [center.assigned_worker(chat) for chat in chats] == [iris, iris, iris, None]
    # Channels are independent in TaskRouter: a worker full on chat still gets a call.
    assert center.assigned_worker(call) == iris
    second_call = center.task(workflow, task_channel="voice")
    assert center.assigned_worker(second_call) is None

    voice = center.engine.workers[iris].channels[channel_sid("voice")]
    assert (voice.reserved_tasks, voice.available_capacity_percentage) == (1, 0)
    offer = center.pending_reservation(chats[0])
    center.engine.accept_reservation(offer.sid)
    center.engine.wrap_reservation(offer.sid)
    assert center.assigned_worker(chats[3]) is None  # wrapping still occupies capacity
    center.engine.complete_reservation(offer.sid)
    assert center.assigned_worker(chats[3]) == iris


def test_a_channel_switched_off_gets_no_tasks(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    jade = center.worker("jade")
    center.engine.update_worker_channel(jade, "chat", available=False)
    chat = center.task(workflow, task_channel="chat")
    assert center.assigned_worker(chat) is None
    center.engine.update_worker_channel(jade, "chat", available=True)
    assert center.assigned_worker(chat) == jade


def test_an_unavailable_activity_stops_offers_but_keeps_work(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    leo = center.worker("leo")
    center.engine.update_worker_channel(leo, "chat", capacity=2)
    first = center.task(workflow, task_channel="chat")
    center.engine.accept_reservation(center.pending_reservation(first).sid)
    center.engine.set_worker_activity(leo, BUSY)
    second = center.task(workflow, task_channel="chat")
    assert center.assigned_worker(second) is None
    assert center.engine.tasks[first].assignment_status is TaskStatus.ASSIGNED


def test_rejecting_pending_reservations_when_going_unavailable(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    lia = center.worker("lia")
    task = center.task(workflow)
    events = center.engine.set_worker_activity(lia, BUSY, reject_pending_reservations=True)
    assert types(events) == ["worker.activity.update", "reservation.rejected"]
    assert center.engine.tasks[task].assignment_status is TaskStatus.PENDING


def test_channel_optimized_routing_prefers_the_least_busy_worker(center: Center) -> None:
    center.engine.upsert_task_channel(
        TaskChannel(channel_sid("chat"), "chat", "Chat", channel_optimized_routing=True)
    )
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    mel = center.worker("mel")
    nina = center.worker("nina")
    for worker in (mel, nina):
        center.engine.update_worker_channel(worker, "chat", capacity=3)
    first = center.task(workflow, task_channel="chat")
    second = center.task(workflow, task_channel="chat")
    third = center.task(workflow, task_channel="chat")
    assert center.assigned_worker(first) == mel
    assert center.assigned_worker(second) == nina
    assert center.assigned_worker(third) == mel


def test_single_tasking_gives_one_task_at_a_time_and_applies_queue_activities() -> None:
    center = Center(multi_task=False)
    queue = center.queue("all", reservation_activity=RESERVED, assignment_activity=ON_CALL)
    workflow = center.simple_workflow(queue)
    olga = center.worker("olga")
    call = center.task(workflow, task_channel="voice")
    chat = center.task(workflow, task_channel="chat")
    assert center.assigned_worker(call) == olga
    assert center.assigned_worker(chat) is None
    assert center.engine.workers[olga].activity_sid == RESERVED

    events = center.engine.accept_reservation(center.pending_reservation(call).sid)
    assert types(events) == ["reservation.accepted", "worker.activity.update"]
    assert center.engine.workers[olga].activity_sid == ON_CALL

    center.engine.update_task(call, assignment_status="completed")
    # TaskRouter leaves the activity alone when a task completes in a single-tasking workspace.
    assert center.engine.workers[olga].activity_sid == ON_CALL
    center.engine.set_worker_activity(olga, AVAILABLE)
    assert center.assigned_worker(chat) == olga


def test_single_tasking_rejection_restores_the_activity_before_the_reservation() -> None:
    center = Center(multi_task=False)
    queue = center.queue("all", reservation_activity=RESERVED)
    workflow = center.simple_workflow(queue)
    pia = center.worker("pia")
    center.clock.tick(1)
    rui = center.worker("rui")
    task = center.task(workflow)
    center.clock.tick(5)
    events = center.engine.reject_reservation(center.pending_reservation(task).sid)
    assert types(events)[:2] == ["reservation.rejected", "worker.activity.update"]
    assert center.engine.workers[pia].activity_sid == AVAILABLE
    assert center.assigned_worker(task) == rui  # pia was just offered a task: rui idled longer


def test_multitasking_ignores_queue_activities(center: Center) -> None:
    queue = center.queue("all", reservation_activity=RESERVED, assignment_activity=ON_CALL)
    workflow = center.simple_workflow(queue)
    sara = center.worker("sara")
    task = center.task(workflow)
    center.engine.accept_reservation(center.pending_reservation(task).sid)
    assert center.engine.workers[sara].activity_sid == AVAILABLE


def test_the_ttl_cancels_a_waiting_task(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    center.task(workflow, timeout=300)
    assert center.advance(299) == []
    events = center.advance(1)
    assert types(events) == ["task.canceled"]
    assert events[0].task_reason == "Task TTL Exceeded"
    assert center.engine.queued_tasks(queue) == []


def test_the_ttl_cancels_a_reserved_task_with_its_offer(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue, reservation_timeout=600)
    tito = center.worker("tito")
    center.task(workflow, timeout=60)
    events = center.advance(60)
    assert types(events) == ["reservation.canceled", "task.canceled"]
    assert center.engine.workers[tito].occupied == 0


def test_the_ttl_no_longer_applies_once_assigned(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    center.worker("uma")
    task = center.task(workflow, timeout=60)
    center.engine.accept_reservation(center.pending_reservation(task).sid)
    assert center.advance(120) == []
    assert center.engine.tasks[task].assignment_status is TaskStatus.ASSIGNED
    assert center.engine.next_deadline() is None
