"""Routing decides who takes a call; voice connects them, and carries out instructions."""

from __future__ import annotations

import json

import pytest

from atende.taskrouter.service import TaskRouterService
from atende.voice import jobs
from tests.support.http_receiver import http_receiver
from tests.voice.carrier import Carrier
from tests.voice.conftest import ContactCenter, queued_caller


async def test_an_agent_rejects_then_another_accepts(
    center: ContactCenter, carrier: Carrier
) -> None:
    await center.set_available("ana")
    caller = await queued_caller(carrier)
    rejected = await center.reject("ana")
    await center.set_available("bruno")
    accepted = await center.accept("bruno")
    assert accepted.task_sid == rejected.task_sid
    [dial] = await center.participant_requests("agent:")
    assert dial.value("To") == "client:bruno"
    await carrier.answer_participant(dial)
    call = await center.wait_call(lambda c: c.stage == "connected")
    assert call.worker_sid == center.workers["bruno"]
    assert call.reservation_sid == accepted.sid
    assert caller.call_sid == call.customer_call_sid


async def test_the_agent_not_answering_puts_the_caller_back_in_the_queue(
    center: ContactCenter, carrier: Carrier
) -> None:
    await center.set_available("ana")
    await queued_caller(carrier)
    first = await center.accept("ana")
    [dial] = await center.participant_requests("agent:")
    await carrier.call_status(dial, "ringing")
    await carrier.call_status(dial, "no-answer")
    call = await center.wait_call(lambda c: c.stage == "queued" and c.task_sid != first.task_sid)
    assert call.worker_sid is None
    assert (await center.task(first.task_sid)).assignment_status == "completed"
    retry = await center.task(call.task_sid or "")
    assert retry.priority == 1


async def test_a_supervisor_canceling_the_task_ends_the_waiting_call(
    center: ContactCenter, carrier: Carrier
) -> None:
    caller = await queued_caller(carrier)
    call = await center.call()
    async with center.runtime.sessions() as session:
        await TaskRouterService(session, center.runtime).cancel_task(
            center.workspace_sid, call.task_sid or "", "fila encerrada"
        )
        await session.commit()
    ended = await center.twilio.arrived(
        lambda r: r.path.endswith(f"/Calls/{caller.call_sid}.json") and r.value("Status")
    )
    assert ended[0].value("Status") == "completed"
    call = await center.call(call.sid)
    assert call.stage == "ended" and call.end_reason == "task canceled: fila encerrada"
    assert not call.abandoned


async def _instruct(center: ContactCenter, instruction: str, **params: str) -> str:
    reservation = await center.wait_for_reservation("ana")
    async with center.runtime.sessions() as session:
        await TaskRouterService(session, center.runtime).update_reservation(
            center.workspace_sid,
            reservation.sid,
            instruction=instruction,
            instruction_params=params,
            status="accepted" if params.get("accept") == "true" else None,
        )
        await session.commit()
    await jobs.reconcile(center.runtime)
    return reservation.sid


@pytest.fixture
def no_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """The periodic reconciliation does not come round during the test (set before the app
    starts its job): whatever voice does, it does because it was told."""
    monkeypatch.setattr(jobs, "RECONCILE_SECONDS", 3600.0)


async def test_an_assignment_callbacks_dequeue_is_carried_out_at_once(
    no_polling: None, center: ContactCenter, carrier: Carrier
) -> None:
    with http_receiver() as callback:
        callback.reply_body = json.dumps({"instruction": "dequeue"}).encode()
        async with center.runtime.sessions() as session:
            await TaskRouterService(session, center.runtime).update_workflow(
                center.workspace_sid, center.workflow_sid, assignment_callback_url=callback.url
            )
            await session.commit()
        await center.set_available("ana")
        await queued_caller(carrier)
        [dial] = await center.participant_requests("agent:")
    assert dial.value("To") == "client:ana"
    assert callback.requests[0].form["WorkerSid"] == center.workers["ana"]


async def test_conference_instruction_dials_and_accepts_when_the_worker_joins(
    center: ContactCenter, carrier: Carrier
) -> None:
    await center.set_available("ana")
    await queued_caller(carrier)
    reservation_sid = await _instruct(center, "conference", to="+5511933334444")
    [dial] = await center.participant_requests("agent:")
    assert dial.value("To") == "+5511933334444"
    assert (await center.reservations("ana", "pending"))[0].sid == reservation_sid
    await carrier.answer_participant(dial)
    call = await center.wait_call(lambda c: c.stage == "connected")
    assert call.reservation_sid == reservation_sid
    assert [r.sid for r in await center.reservations("ana", "accepted")] == [reservation_sid]


async def test_redirect_instruction_sends_the_caller_elsewhere(
    center: ContactCenter, carrier: Carrier
) -> None:
    await center.set_available("ana")
    caller = await queued_caller(carrier)
    await _instruct(center, "redirect", url="https://crm.example/twiml", accept="true")
    [redirect] = await center.twilio.arrived(
        lambda r: r.path.endswith(f"/Calls/{caller.call_sid}.json") and r.value("Url")
    )
    assert redirect.value("Url") == "https://crm.example/twiml"
    call = await center.wait_call(lambda c: c.stage == "ended")
    assert call.end_reason == "redirected by instruction"


async def test_call_instruction_calls_the_worker_with_the_given_twiml(
    center: ContactCenter, carrier: Carrier
) -> None:
    await center.set_available("ana")
    await queued_caller(carrier)
    await _instruct(
        center, "call", url="https://crm.example/agent.xml", **{"from": "+551140040000"}
    )
    [placed] = await center.twilio.arrived(lambda r: r.operation.endswith("/Calls.json"))
    assert placed.value("To") == "client:ana"
    assert placed.value("Url") == "https://crm.example/agent.xml"
    assert placed.value("From") == "+551140040000"
