"""A caller who hangs up while waiting cancels the task and counts as abandoned."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select, update

from atende.events.models import Event
from atende.voice.models import Call
from tests.voice.carrier import Carrier
from tests.voice.conftest import ContactCenter, queued_caller


def _threshold(center: ContactCenter, seconds: int) -> None:
    services = center.runtime.services
    services["voice.config"] = dataclasses.replace(
        services["voice.config"], short_abandon_seconds=seconds
    )


async def _abandon_events(center: ContactCenter) -> list[Event]:
    async with center.runtime.sessions() as session:
        query = select(Event).where(Event.event_type == "call.abandoned")
        return list((await session.execute(query)).scalars())


async def test_hanging_up_in_the_queue_cancels_the_task_as_abandoned(
    center: ContactCenter, carrier: Carrier
) -> None:
    _threshold(center, 30)
    caller = await queued_caller(carrier)
    call = await center.call()
    async with center.runtime.sessions() as session:
        earlier = (call.queued_at or call.created_at) - timedelta(seconds=95)
        await session.execute(update(Call).where(Call.sid == call.sid).values(queued_at=earlier))
        await session.commit()

    await caller.hang_up()

    call = await center.call(call.sid)
    assert (call.stage, call.abandoned, call.short_abandon) == ("ended", True, False)
    assert call.end_reason == "caller hung up while waiting"
    task = await center.task(call.task_sid or "")
    assert task.assignment_status == "canceled"
    assert task.reason == "caller hung up while waiting"
    [event] = await _abandon_events(center)
    assert event.data["short_abandon"] is False
    assert event.data["waited_seconds"] >= 95
    assert event.task_sid == call.task_sid


async def test_a_quick_hang_up_is_flagged_as_short_abandon(
    center: ContactCenter, carrier: Carrier
) -> None:
    _threshold(center, 3600)
    caller = await queued_caller(carrier)
    await caller.hang_up()
    call = await center.call()
    assert (call.abandoned, call.short_abandon) == (True, True)
    [event] = await _abandon_events(center)
    assert event.data["short_abandon"] is True


async def test_hanging_up_in_the_menu_is_not_an_abandon(
    center: ContactCenter, carrier: Carrier
) -> None:
    caller = await carrier.dial_in()
    await caller.hang_up()
    call = await center.call()
    assert (call.stage, call.abandoned, call.task_sid) == ("ended", False, None)
    assert await center.tasks() == []


async def test_hanging_up_while_the_agent_is_being_called_is_abandoned_and_the_agent_freed(
    center: ContactCenter, carrier: Carrier
) -> None:
    await center.set_available("ana")
    caller = await queued_caller(carrier)
    await center.accept("ana")
    [dial] = await center.participant_requests("agent:")
    await caller.hang_up()
    call = await center.call()
    assert (call.stage, call.abandoned) == ("wrapup", True)
    ended = await center.twilio.arrived(
        lambda r: r.operation.endswith("/Calls/{Sid}.json") and r.value("Status") == "completed"
    )
    assert ended and carrier.call_sid_of(dial) in ended[0].path
    task = await center.task(call.task_sid or "")
    assert task.assignment_status == "wrapping"
