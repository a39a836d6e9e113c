"""Twilio's webhooks: signatures checked as Twilio computes them, stored before answering,
replays and reordered callbacks harmless."""

from __future__ import annotations

import httpx
import pytest

from atende.channels.twilio_voice import moves_forward, webhook_key
from tests.voice.carrier import COMPANY_NUMBER, Carrier, signed_headers
from tests.voice.conftest import ContactCenter, connected_call, queued_caller

INBOUND = "http://testserver/webhooks/twilio/voice"


def _inbound_params(center: ContactCenter, call_sid: str = "CA" + "1" * 32) -> dict[str, str]:
    return {
        "AccountSid": center.twilio.account_sid,
        "CallSid": call_sid,
        "From": "+5511987654321",
        "To": COMPANY_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        "wrong-token",
        "wrong-url",
    ],
    ids=["missing", "forged", "other-token", "other-url"],
)
async def test_unsigned_or_forged_webhooks_get_403_and_store_nothing(
    center: ContactCenter, client: httpx.AsyncClient, headers: dict[str, str] | str
) -> None:
    params = _inbound_params(center)
    if headers == "wrong-token":
        headers = signed_headers("not-the-auth-token", INBOUND, params)
    elif headers == "wrong-url":
        headers = signed_headers(center.twilio.auth_token, "https://elsewhere/webhooks", params)
    assert isinstance(headers, dict)
    response = await client.post("/webhooks/twilio/voice", data=params, headers=headers)
    assert response.status_code == 403
    assert await center.webhooks() == []
    assert await center.calls() == []


@pytest.mark.parametrize("signed_url", [INBOUND, "http://testserver:80/webhooks/twilio/voice"])
async def test_a_call_signed_over_the_url_with_or_without_its_port_is_answered(
    center: ContactCenter, client: httpx.AsyncClient, signed_url: str
) -> None:
    params = _inbound_params(center)
    headers = signed_headers(center.twilio.auth_token, signed_url, params)
    response = await client.post("/webhooks/twilio/voice", data=params, headers=headers)
    assert response.status_code == 200
    assert [call.customer_call_sid for call in await center.calls()] == [params["CallSid"]]


async def test_signature_covers_the_query_string(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    caller = await carrier.dial_in()
    gather = caller.gather()
    assert gather is not None
    url = gather.attrib["action"]
    params = {**caller.params(), "AccountSid": center.twilio.account_sid, "Digits": "4"}
    headers = signed_headers(center.twilio.auth_token, url.split("?")[0], params)
    path = url.replace("http://testserver", "")
    assert (await client.post(path, data=params, headers=headers)).status_code == 403


async def test_a_replayed_incoming_call_gets_the_same_answer_and_creates_nothing_new(
    center: ContactCenter, carrier: Carrier
) -> None:
    params = _inbound_params(center)
    first = await carrier.post(INBOUND, params)
    again = await carrier.post(INBOUND, params)
    assert first.status_code == again.status_code == 200
    assert first.text == again.text
    [call] = await center.calls()
    assert call.protocol and call.protocol in first.text.replace(" ", "")
    assert len(await center.webhooks()) == 1


async def test_replayed_menu_choice_creates_one_task(
    center: ContactCenter, carrier: Carrier
) -> None:
    caller = await carrier.dial_in()
    gather = caller.gather()
    assert gather is not None
    first = await caller.request(gather.attrib["action"], {"Digits": "4"})
    again = await caller.request(gather.attrib["action"], {"Digits": "4"})
    assert [e.tag for e in first] == [e.tag for e in again]
    assert len(await center.tasks()) == 1


async def test_duplicate_hang_up_callbacks_change_nothing(
    center: ContactCenter, carrier: Carrier
) -> None:
    caller = await queued_caller(carrier)
    await caller.hang_up()
    before = await center.call()
    stored = len(await center.webhooks())
    await caller.hang_up()
    after = await center.call()
    assert len(await center.webhooks()) == stored
    assert (after.stage, after.ended_at, after.end_reason) == (
        before.stage,
        before.ended_at,
        before.end_reason,
    )
    [task] = await center.tasks()
    assert task.assignment_status == "canceled"


async def test_reordered_callbacks_never_move_a_call_backwards(
    center: ContactCenter, carrier: Carrier
) -> None:
    caller, call, agent_leg = await connected_call(center, carrier)
    await caller.hang_up()
    late = {**caller.params(), "CallStatus": "in-progress"}
    await carrier.post("http://testserver/webhooks/twilio/voice/status", late)
    late_ringing = {**caller.params(), "CallStatus": "ringing"}
    await carrier.post("http://testserver/webhooks/twilio/voice/status", late_ringing)
    call = await center.call(call.sid)
    assert (call.status, call.stage) == ("completed", "wrapup")
    legs = {leg.call_sid: leg for leg in await center.legs(call.sid)}
    assert legs[caller.call_sid].status == "completed"
    # A conference "join" that arrives after the customer left does not put them back.
    await carrier.conference_event(call.sid, "participant-join", caller.call_sid)
    legs = {leg.call_sid: leg for leg in await center.legs(call.sid)}
    assert legs[caller.call_sid].in_conference is False
    assert legs[agent_leg].role == "agent"


def test_status_order_and_keys() -> None:
    assert moves_forward(None, "ringing")
    assert moves_forward("ringing", "in-progress")
    assert not moves_forward("completed", "ringing")
    assert not moves_forward("completed", "busy")
    params = {"CallSid": "CA1", "CallStatus": "completed"}
    assert webhook_key("status", params) == "CA1:status:completed"
    conference = {"ConferenceSid": "CF1", "SequenceNumber": "3", "CallSid": "CA1"}
    assert webhook_key("conference", conference) == "CF1:conference:3"
    assert webhook_key("gather", params, "2") != webhook_key("gather", params, "3")
