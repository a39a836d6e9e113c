"""Twilio's media limits on outbound messages: MMS takes up to 10 media and 5 MB in all,
WhatsApp through Twilio one media (16 MB; images 5 MB). The agent is told which limit a
message breaks before it is queued, and a message over them never reaches Twilio."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from atende.auth.models import Role
from atende.conversations.models import Conversation, Message
from atende.messaging.bot import Draft
from atende.messaging.hub import MessagingHub
from tests.conftest import make_token
from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.twilio_messages import FakeTwilioMessages
from tests.messaging import meta_payloads as meta
from tests.messaging.conftest import drain, post_meta, post_twilio
from tests.messaging.test_twilio_messaging import inbound_sms, inbound_whatsapp

MB = 1024 * 1024


def links(count: int) -> list[str]:
    return [f"https://cdn.example.com/apolice-{index}.jpg" for index in range(count)]


async def opened(app: FastAPI, hub: MessagingHub) -> Conversation:
    await drain(hub)
    async with app.state.runtime.sessions() as session:
        [conversation] = (await session.scalars(select(Conversation))).all()
    return conversation


async def agent_messages(app: FastAPI) -> list[Message]:
    async with app.state.runtime.sessions() as session:
        rows = await session.scalars(select(Message).where(Message.author != "bot"))
        return [m for m in rows if m.direction == "outbound"]


async def supervisor(app: FastAPI) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_token(app, Role.SUPERVISOR)}"}


async def test_an_mms_carries_up_to_ten_media(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    await post_twilio(client, inbound_sms(twilio_api, "Oi"), twilio_api.auth_token)
    conversation = await opened(app, hub)
    path = f"/api/conversations/{conversation.sid}/messages"
    headers = await supervisor(app)

    three = await client.post(path, json={"type": "image", "links": links(3)}, headers=headers)
    assert three.status_code == 202, three.text
    await drain(hub)
    sid = twilio_api.sent[-1]["Sid"]
    assert twilio_api.media_urls[sid] == links(3)

    eleven = await client.post(path, json={"type": "image", "links": links(11)}, headers=headers)
    assert eleven.status_code == 422
    assert eleven.json()["detail"] == (
        "MMS through Twilio takes at most 10 media per message; this one has 11"
    )
    assert len(await agent_messages(app)) == 1


async def test_whatsapp_through_twilio_takes_one_media_per_message(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    await post_twilio(client, inbound_whatsapp(twilio_api, "Oi"), twilio_api.auth_token)
    conversation = await opened(app, hub)
    response = await client.post(
        f"/api/conversations/{conversation.sid}/messages",
        json={"type": "image", "links": links(2)},
        headers=await supervisor(app),
    )
    assert response.status_code == 422
    assert "WhatsApp through Twilio takes at most 1 media per message" in response.json()["detail"]
    assert await agent_messages(app) == []


async def _attach_pdf(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, *, megabytes: int
) -> httpx.Response:
    """A supervisor attaches a PDF of `megabytes` to the conversation the inbound opened."""
    conversation = await opened(app, hub)
    pdf = b"%PDF-1.7 " + b"0" * (megabytes * MB)
    return await client.post(
        f"/api/conversations/{conversation.sid}/attachments",
        files={"file": ("apolice.pdf", pdf, "application/pdf")},
        headers=await supervisor(app),
    )


async def test_an_attachment_over_five_mb_is_refused_for_mms(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    await post_twilio(client, inbound_sms(twilio_api, "Oi"), twilio_api.auth_token)
    response = await _attach_pdf(app, client, hub, megabytes=6)
    assert response.status_code == 413
    assert response.json()["detail"].startswith(
        "MMS through Twilio takes at most 5 MB of media per message; this one has 6.0 MB"
    )
    assert await agent_messages(app) == []


async def test_a_document_over_sixteen_mb_is_refused_for_whatsapp_through_twilio(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    """Meta's own Cloud API takes documents up to 100 MB; Twilio's WhatsApp does not."""
    await post_twilio(client, inbound_whatsapp(twilio_api, "Oi"), twilio_api.auth_token)
    response = await _attach_pdf(app, client, hub, megabytes=17)
    assert response.status_code == 413
    assert "WhatsApp through Twilio takes at most 16 MB" in response.json()["detail"]


async def test_a_stored_message_over_the_limits_fails_in_words_without_reaching_twilio(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, twilio_api: FakeTwilioMessages
) -> None:
    """One queued before the limits were checked (or by other code) still never goes."""
    await post_twilio(client, inbound_sms(twilio_api, "Oi"), twilio_api.auth_token)
    conversation = await opened(app, hub)
    sent_before = len(twilio_api.sent)
    async with hub.writing() as session:
        row = await session.get(Conversation, conversation.sid)
        assert row is not None
        draft = Draft("image", None, {"link": links(1)[0], "links": links(12)})
        await hub.queue(session, row, draft, author="agent")
        await session.commit()
    await drain(hub)
    [message] = await agent_messages(app)
    assert message.status == "failed"
    assert message.error_code == "21623"
    assert message.error_message is not None
    assert message.error_message.startswith("Mídias demais na mensagem")
    assert "at most 10 media" in message.error_message
    assert len(twilio_api.sent) == sent_before


async def test_whatsapp_cloud_takes_one_media_per_message(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    await post_meta(client, meta.text("wamid.M1", "Oi"))
    conversation = await opened(app, hub)
    response = await client.post(
        f"/api/conversations/{conversation.sid}/messages",
        json={"type": "image", "links": links(2)},
        headers=await supervisor(app),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "WhatsApp takes one media per message; this one has 2"
