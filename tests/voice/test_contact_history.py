"""One customer across channels: a caller who wrote on WhatsApp before is recognised on the
call's customer panel, and their later WhatsApp conversation lists the call."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from atende.conversations.items import InboundMessage
from atende.conversations.models import Conversation
from atende.conversations.service import ConversationService
from atende.taskrouter.service import TaskRouterService
from atende.voice.channels import ChannelService
from tests.voice.carrier import COMPANY_NUMBER, Carrier
from tests.voice.conftest import ContactCenter, queued_caller
from tests.voice.test_batch import STRAIGHT_TO_QUEUE, arrive_together

CALLER = "+5511987654321"


async def write_on_whatsapp(center: ContactCenter, text: str) -> Conversation:
    """The caller's number writes to the company's WhatsApp, as messaging keeps it."""
    message = InboundMessage(
        provider="whatsapp",
        channel="whatsapp",
        provider_id=f"wamid.{text}",
        business_address="+551140040000",
        sent_at=datetime.now(UTC),
        type="text",
        text=text,
        phone=CALLER,
        profile_name="Carla Mendes",
    )
    async with center.runtime.sessions() as session:
        received = await ConversationService(session).receive(message)
        await session.commit()
    assert received is not None
    return received.conversation


async def panel(client: httpx.AsyncClient, center: ContactCenter, agent: str, task: str) -> Any:
    response = await client.get(f"/api/desk/tasks/{task}/customer", headers=center.headers(agent))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_caller_who_wrote_on_whatsapp_is_known_on_the_call(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    chat = await write_on_whatsapp(center, "Quero renovar o seguro do carro")
    await center.set_available("ana")
    await queued_caller(carrier)
    await center.accept("ana")
    call = await center.call()
    assert call.contact_sid == chat.contact_sid

    shown = await panel(client, center, "ana", call.task_sid or "")

    assert shown["protocol"] == call.protocol
    assert shown["contact"]["name"] == "Carla Mendes"
    assert shown["contact"]["phone"] == CALLER
    [earlier] = shown["history"]
    assert earlier["channel"] == "whatsapp" and earlier["protocol"] == chat.protocol
    assert earlier["summary"] == "Quero renovar o seguro do carro"


async def test_a_later_whatsapp_conversation_lists_the_earlier_call(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    caller = await queued_caller(carrier)
    await caller.hang_up()
    call = await center.call()
    assert call.contact_sid is not None

    chat = await write_on_whatsapp(center, "Liguei e ninguém atendeu")
    assert chat.contact_sid == call.contact_sid
    await center.set_available("ana")
    async with center.runtime.sessions() as session:
        task = await TaskRouterService(session, center.runtime).create_task(
            center.workspace_sid,
            center.workflow_sid,
            json.dumps({"channel": "whatsapp", "contact_sid": chat.contact_sid}),
            "chat",
        )
        await session.execute(
            update(Conversation).where(Conversation.sid == chat.sid).values(task_sid=task.sid)
        )
        await session.commit()
    await center.wait_for_reservation("ana")

    shown = await panel(client, center, "ana", task.sid)

    assert shown["protocol"] == chat.protocol
    [earlier] = shown["history"]
    assert earlier["channel"] == "voice" and earlier["call_sid"] == call.sid
    assert earlier["protocol"] == call.protocol
    assert (earlier["direction"], earlier["outcome"]) == ("inbound", "abandoned")


async def test_calls_arriving_together_from_one_number_share_its_contact(
    center: ContactCenter, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch reads its callers' contacts at once: a number that wrote before keeps its
    contact, and a new number calling twice in the batch gets one contact, not two."""
    chat = await write_on_whatsapp(center, "Oi")
    async with center.runtime.sessions() as session:
        await ChannelService(session).update(center.channel_sid, flow=STRAIGHT_TO_QUEUE)
        await session.commit()
    numbers = [CALLER, "+5521977776666", "+5521977776666", "+5531966665555"]
    forms = [
        {
            "AccountSid": center.twilio.account_sid,
            "CallSid": f"CA{index:032d}",
            "From": number,
            "To": COMPANY_NUMBER,
            "CallStatus": "ringing",
            "Direction": "inbound",
        }
        for index, number in enumerate(numbers)
    ]
    await arrive_together(client, center.twilio.auth_token, forms)
    assert "webhooks failed" not in caplog.text  # no batch had to be written again
    by_number: dict[str, set[str | None]] = {}
    for call in await center.calls():
        by_number.setdefault(call.customer_number, set()).add(call.contact_sid)
        task = await center.task(call.task_sid or "")
        assert json.loads(task.attributes)["contact_sid"] == call.contact_sid
    assert by_number[CALLER] == {chat.contact_sid}
    assert all(len(sids) == 1 and None not in sids for sids in by_number.values())
    assert len(set().union(*by_number.values())) == 3


async def test_a_caller_who_hangs_up_in_the_menu_is_linked_to_their_contact(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    """The call is linked to its caller's contact as it arrives, not only once queued."""
    chat = await write_on_whatsapp(center, "Vou ligar")
    caller = await carrier.dial_in(from_=CALLER)
    await caller.hang_up()
    call = await center.call()
    assert call.stage != "queued" and call.task_sid is None
    assert call.contact_sid == chat.contact_sid
