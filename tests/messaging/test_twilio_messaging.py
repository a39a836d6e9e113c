"""SMS and WhatsApp through Twilio: webhooks signed as Twilio signs them (the official
RequestValidator), replies through the Messages API, status callbacks, media, ContentSid."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from atende.auth.models import Role
from atende.conversations.models import Conversation, InboundEvent, MediaFile, Message
from atende.messaging.hub import MessagingHub
from tests.conftest import make_token
from tests.fakes.twilio_messages import FakeTwilioMessages
from tests.messaging.conftest import TWILIO_NUMBER, drain, post_twilio

CUSTOMER = "+5511987654321"


def inbound_sms(
    twilio: FakeTwilioMessages, body: str, sid: str | None = None, **extra: str
) -> dict[str, str]:
    sid = sid or "SM" + secrets.token_hex(16)
    return {
        "ToCountry": "BR",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "FromCountry": "BR",
        "To": TWILIO_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": twilio.account_sid,
        "From": CUSTOMER,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def inbound_whatsapp(twilio: FakeTwilioMessages, body: str, **extra: str) -> dict[str, str]:
    form = inbound_sms(twilio, body, **extra)
    form.update(
        {
            "From": f"whatsapp:{CUSTOMER}",
            "To": f"whatsapp:{TWILIO_NUMBER}",
            "ProfileName": "Maria Souza",
            "WaId": CUSTOMER[1:],
            "MessageType": "text",
        }
    )
    form.update(extra)
    return form


def status_callback(
    twilio: FakeTwilioMessages, sid: str, status: str, error_code: str | None = None
) -> dict[str, str]:
    form = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": CUSTOMER,
        "MessageSid": sid,
        "AccountSid": twilio.account_sid,
        "From": TWILIO_NUMBER,
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        form["ErrorCode"] = error_code
    return form


async def rows(app: FastAPI, model: type) -> list[Any]:
    async with app.state.runtime.sessions() as session:
        return list((await session.scalars(select(model))).all())


async def test_an_sms_opens_a_conversation_and_the_bot_answers_by_sms(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    response = await post_twilio(client, inbound_sms(twilio_api, "Oi"), twilio_api.auth_token)
    assert response.status_code == 200
    assert response.text == "<Response/>"
    await drain(hub)
    [conversation] = await rows(app, Conversation)
    assert (conversation.channel, conversation.provider) == ("sms", "twilio")
    assert conversation.business_address == TWILIO_NUMBER
    greeting, menu = twilio_api.sent[0], twilio_api.sent[1]
    assert (greeting["To"], greeting["From"]) == (CUSTOMER, TWILIO_NUMBER)
    assert conversation.protocol in greeting["Body"]
    assert greeting["StatusCallback"] == "http://testserver/webhooks/twilio/messaging"
    # No buttons on SMS: the menu is numbered text and the number is the answer.
    assert "6 - Cancelamento" in menu["Body"]
    await post_twilio(client, inbound_sms(twilio_api, "6"), twilio_api.auth_token)
    await drain(hub)
    [conversation] = await rows(app, Conversation)
    assert conversation.attributes["motivo"] == "cancelamento"
    assert conversation.state == "queued"


async def test_whatsapp_through_twilio_keeps_the_whatsapp_prefix(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    await post_twilio(client, inbound_whatsapp(twilio_api, "Olá"), twilio_api.auth_token)
    await drain(hub)
    [conversation] = await rows(app, Conversation)
    assert conversation.channel == "whatsapp"
    assert twilio_api.sent[0]["To"] == f"whatsapp:{CUSTOMER}"
    assert twilio_api.sent[0]["From"] == f"whatsapp:{TWILIO_NUMBER}"
    # A quick-reply button's payload is the bot's answer.
    button = inbound_whatsapp(
        twilio_api, "Reclamação", ButtonPayload="reclamacao", ButtonText="Reclamação"
    )
    await post_twilio(client, button, twilio_api.auth_token)
    await drain(hub)
    [conversation] = await rows(app, Conversation)
    assert conversation.attributes["motivo"] == "reclamacao"


async def test_forged_or_unsigned_webhooks_are_refused_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, twilio_api: FakeTwilioMessages
) -> None:
    forged = await post_twilio(client, inbound_sms(twilio_api, "Oi"), "another-token")
    assert forged.status_code == 403
    unsigned = await client.post("/webhooks/twilio/messaging", data=inbound_sms(twilio_api, "x"))
    assert unsigned.status_code == 403
    assert await rows(app, InboundEvent) == []


async def test_a_retried_webhook_is_kept_once(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    form = inbound_sms(twilio_api, "Oi")
    for _ in range(3):
        assert (await post_twilio(client, form, twilio_api.auth_token)).status_code == 200
    await drain(hub)
    inbound = [m for m in await rows(app, Message) if m.direction == "inbound"]
    assert len(inbound) == 1
    assert len(twilio_api.sent) == 2


async def test_status_callbacks_move_the_message_forward_only(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    await post_twilio(client, inbound_sms(twilio_api, "Oi"), twilio_api.auth_token)
    await drain(hub)
    greeting_sid, menu_sid = twilio_api.sent[0]["Sid"], twilio_api.sent[1]["Sid"]
    for sid, status, code in (
        (greeting_sid, "delivered", None),
        (greeting_sid, "sent", None),
        (menu_sid, "sent", None),
        (menu_sid, "undelivered", "30003"),
    ):
        form = status_callback(twilio_api, sid, status, code)
        assert (await post_twilio(client, form, twilio_api.auth_token)).status_code == 200
    await drain(hub)
    outbound = {m.provider_id: m for m in await rows(app, Message) if m.direction == "outbound"}
    assert outbound[greeting_sid].status == "delivered"
    assert (outbound[menu_sid].status, outbound[menu_sid].error_code) == ("undelivered", "30003")
    assert "inacessível" in (outbound[menu_sid].error_message or "")


async def test_throttling_from_twilio_is_retried(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    twilio_api.errors = [20429, 20429]
    await post_twilio(client, inbound_sms(twilio_api, "Oi"), twilio_api.auth_token)
    await drain(hub, rounds=10)
    assert len(twilio_api.refused) == 2
    outbound = [m for m in await rows(app, Message) if m.direction == "outbound"]
    assert [m.status for m in outbound] == ["accepted", "accepted"]


async def test_inbound_media_is_fetched_with_the_account_credentials(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    url = twilio_api.media_url("ME1", b"%PDF-1.7 apolice", "application/pdf")
    form = inbound_whatsapp(
        twilio_api, "", NumMedia="1", MediaUrl0=url, MediaContentType0="application/pdf"
    )
    await post_twilio(client, form, twilio_api.auth_token)
    await drain(hub)
    [media] = await rows(app, MediaFile)
    assert (media.status, media.mime_type, media.size) == ("stored", "application/pdf", 16)
    [message] = [m for m in await rows(app, Message) if m.direction == "inbound"]
    assert message.type == "document"
    assert message.media_sid == media.sid


async def test_templates_go_by_content_sid_outside_the_window(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    await post_twilio(client, inbound_whatsapp(twilio_api, "Oi"), twilio_api.auth_token)
    await drain(hub)
    [conversation] = await rows(app, Conversation)
    async with app.state.runtime.sessions() as session:
        row = await session.get(Conversation, conversation.sid)
        assert row is not None and row.last_inbound_at is not None
        row.last_inbound_at = row.last_inbound_at.replace(year=row.last_inbound_at.year - 1)
        await session.commit()
    admin = {"Authorization": f"Bearer {await make_token(app, Role.ADMIN)}"}
    content_sid = "HX" + "a" * 32
    await client.put(
        "/api/whatsapp/templates",
        json={
            "name": "retomar",
            "body": "Olá {{1}}, podemos continuar?",
            "variables": ["nome"],
            "content_sid": content_sid,
        },
        headers=admin,
    )
    supervisor = {"Authorization": f"Bearer {await make_token(app, Role.SUPERVISOR)}"}
    refused = await client.post(
        f"/api/conversations/{conversation.sid}/messages", json={"text": "Oi"}, headers=supervisor
    )
    assert refused.status_code == 409
    sent = await client.post(
        f"/api/conversations/{conversation.sid}/messages",
        json={"type": "template", "template": "retomar", "variables": ["Maria"]},
        headers=supervisor,
    )
    assert sent.status_code == 202, sent.text
    before = len(twilio_api.sent)
    await drain(hub)
    form = twilio_api.sent[before]
    assert form["ContentSid"] == content_sid
    assert form["ContentVariables"] == '{"1": "Maria"}'
    assert "Body" not in form
