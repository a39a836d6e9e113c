""" "Keep my place, call me back" and the out-of-hours branch (voicemail, callback request)."""

from __future__ import annotations

import json

from tests.voice.carrier import Carrier
from tests.voice.conftest import SUNDAY, ContactCenter


async def test_keep_my_place_calls_the_agent_then_the_customer(
    center: ContactCenter, carrier: Carrier
) -> None:
    caller = await carrier.dial_in()
    await caller.press("4")
    offer = caller.gather()
    assert offer is not None and "digite 1" in "".join(offer.itertext())
    await caller.press("1")
    assert "lugar na fila está guardado" in caller.said()[0]
    assert caller.has("Hangup")
    await caller.hang_up()

    call = await center.call()
    assert (call.stage, call.callback_requested, call.abandoned) == ("callback", True, False)
    task = await center.task(call.task_sid or "")
    assert task.assignment_status == "pending"
    assert json.loads(task.attributes)["callback"] is True

    await center.set_available("ana")
    await center.accept("ana")
    [agent_call] = await center.twilio.arrived(
        lambda r: r.operation.endswith("/Calls.json") and r.method == "POST"
    )
    assert agent_call.value("To") == "client:ana"
    assert agent_call.value("From") == caller.to
    agent = await carrier.answer_outbound(agent_call)
    assert "Retorno de ligação" in agent.said()[0]
    conference = agent.conference()
    assert conference is not None and conference.attrib["startConferenceOnEnter"] == "true"
    await agent.enter_conference()

    [customer] = await center.participant_requests("customer")
    assert customer.value("To") == caller.from_
    assert customer.value("From") == caller.to
    assert customer.value("EndConferenceOnExit") == "true"
    customer_leg = await carrier.answer_participant(customer)
    call = await center.wait_call(lambda c: c.stage == "connected")
    assert call.customer_call_sid == customer_leg
    assert call.worker_sid == center.workers["ana"]


async def test_callback_customer_not_answering_leaves_the_agent_to_wrap_up(
    center: ContactCenter, carrier: Carrier
) -> None:
    caller = await carrier.dial_in()
    await caller.press("4")
    await caller.press("1")
    await caller.hang_up()
    await center.set_available("ana")
    await center.accept("ana")
    [agent_call] = await center.twilio.arrived(lambda r: r.operation.endswith("/Calls.json"))
    agent = await carrier.answer_outbound(agent_call)
    await agent.enter_conference()
    [customer] = await center.participant_requests("customer")
    await carrier.call_status(customer, "ringing")
    await carrier.call_status(customer, "no-answer")
    call = await center.wait_call(lambda c: c.stage == "wrapup")
    assert call.end_reason == "customer leg no-answer"
    assert not call.abandoned
    assert (await center.task(call.task_sid or "")).assignment_status == "wrapping"


async def test_out_of_hours_voicemail_becomes_a_callback_task_with_the_recording(
    center: ContactCenter, carrier: Carrier
) -> None:
    center.runtime.services["voice.flow_runner"].clock = lambda: SUNDAY
    caller = await carrier.dial_in()
    said = " ".join(caller.said())
    assert "segunda a sábado" in said
    assert not any("Reclamação" in text for text in said)
    await caller.press("2")
    assert "Deixe seu recado" in caller.said()[0]
    assert caller.has("Record")
    await caller.record(seconds=21)
    assert caller.has("Hangup")
    await caller.hang_up()

    call = await center.call()
    assert (call.stage, call.abandoned, call.callback_requested) == ("callback", False, True)
    [recording] = await center.recordings()
    assert (recording.kind, recording.duration) == ("voicemail", 21)
    assert (recording.retain_until - recording.created_at).days >= 90
    task = await center.task(call.task_sid or "")
    attributes = json.loads(task.attributes)
    assert attributes["type"] == "voicemail"
    assert attributes["voicemail_url"] == recording.url
    assert attributes["business_hours"] is False


async def test_out_of_hours_callback_request_files_a_task(
    center: ContactCenter, carrier: Carrier
) -> None:
    center.runtime.services["voice.flow_runner"].clock = lambda: SUNDAY
    caller = await carrier.dial_in()
    await caller.press("1")
    assert any("Entraremos em contato" in text for text in caller.said())
    await caller.hang_up()
    call = await center.call()
    assert call.stage == "callback"
    attributes = json.loads((await center.task(call.task_sid or "")).attributes)
    assert attributes["type"] == "callback"
    assert attributes["customer_number"] == caller.from_
