"""A task moved to another channel after creation (TaskRouter's UpdateTask ``TaskChannel``)."""

from __future__ import annotations

import pytest

from atende.routing.errors import InvalidTransitionError, UnknownResourceError
from atende.routing.model import ReservationStatus, TaskStatus
from tests.routing.test_engine_harness import Center, channel_sid, types

VOICE = channel_sid("voice")
CHAT = channel_sid("chat")


@pytest.fixture
def center() -> Center:
    return Center()


def _busy_on_voice(center: Center) -> tuple[str, str, str]:
    """Ana holds a voice call (capacity 1), so the next voice task waits; returns the
    workflow, ana and the waiting task."""
    workflow = center.simple_workflow(center.queue("all"))
    ana = center.worker("ana")
    call = center.task(workflow, task_channel="voice")
    center.engine.accept_reservation(center.pending_reservation(call).sid)
    waiting = center.task(workflow, task_channel="voice")
    assert center.engine.tasks[waiting].assignment_status is TaskStatus.PENDING
    return workflow, ana, waiting


def test_a_waiting_task_moved_to_a_free_channel_is_offered_at_once(center: Center) -> None:
    _, ana, waiting = _busy_on_voice(center)
    events = center.engine.update_task(waiting, task_channel="chat")
    assert types(events)[0] == "task.updated"
    assert center.engine.tasks[waiting].task_channel_sid == CHAT
    reservation = center.pending_reservation(waiting)
    assert (reservation.worker_sid, reservation.task_channel_sid) == (ana, CHAT)
    channels = center.engine.workers[ana].channels
    assert (channels[VOICE].occupied, channels[CHAT].occupied) == (1, 1)


def test_an_offered_task_gives_its_offer_back_and_is_routed_on_the_new_channel(
    center: Center,
) -> None:
    workflow = center.simple_workflow(center.queue("all"))
    ana = center.worker("ana")
    task = center.task(workflow, task_channel="voice")
    first = center.pending_reservation(task)
    center.engine.update_task(task, task_channel=CHAT)
    assert center.engine.reservations[first.sid].status is ReservationStatus.CANCELED
    again = center.pending_reservation(task)
    assert (again.worker_sid, again.task_channel_sid) == (ana, CHAT)
    assert center.engine.workers[ana].channels[VOICE].occupied == 0


def test_the_same_channel_by_name_changes_nothing(center: Center) -> None:
    _, _, waiting = _busy_on_voice(center)
    assert center.engine.update_task(waiting, task_channel="voice") == []


def test_an_assigned_task_keeps_its_channel(center: Center) -> None:
    workflow = center.simple_workflow(center.queue("all"))
    center.worker("ana")
    task = center.task(workflow, task_channel="voice")
    center.engine.accept_reservation(center.pending_reservation(task).sid)
    with pytest.raises(InvalidTransitionError, match="only a pending or reserved task"):
        center.engine.update_task(task, task_channel="chat", priority=3)
    assert center.engine.tasks[task].task_channel_sid == VOICE
    assert center.engine.tasks[task].priority == 0


def test_an_unknown_channel_is_refused(center: Center) -> None:
    _, _, waiting = _busy_on_voice(center)
    with pytest.raises(UnknownResourceError, match="task channel fax"):
        center.engine.update_task(waiting, task_channel="fax")
