"""Files an agent attaches to a chat: checked against WhatsApp's types and sizes, kept, sent by
WhatsApp Cloud (a link to our copy, which Meta downloads) or Twilio (MediaUrl), and shown in
the history; an agent attaches only to their own conversations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from atende.auth.models import Role
from atende.conversations.models import Conversation, MediaFile, Message
from atende.messaging.assignments import reconcile
from atende.messaging.hub import MessagingHub
from tests.conftest import make_token
from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.twilio_messages import FakeTwilioMessages
from tests.messaging.conftest import app, drain, graph, hub, post_twilio, twilio_api
from tests.messaging.test_taskrouter_routing import (
    Center,
    accept,
    build_center,
    customer_reaches_queue,
    latest_conversation,
    reservation_of,
)
from tests.messaging.test_twilio_messaging import inbound_sms

__all__ = ["app", "graph", "hub", "twilio_api"]

PDF = b"%PDF-1.7\n" + b"0" * 2048
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MB = 1024 * 1024


@pytest.fixture
async def center(app: FastAPI, hub: MessagingHub) -> Center:
    return await build_center(app)


async def served(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, center: Center
) -> tuple[Conversation, dict[str, str], dict[str, str]]:
    """A WhatsApp customer reaches an agent: the conversation, its agent's and another's headers."""
    await customer_reaches_queue(client, hub, "wamid.AT")
    conversation = await latest_conversation(app)
    assert conversation.task_sid
    reservation = await reservation_of(app, conversation.task_sid)
    await accept(app, center, reservation.sid)
    await reconcile(hub)
    owner = next(n for n, sid in center.workers.items() if sid == reservation.worker_sid)
    other = "bruno" if owner == "ana" else "ana"
    return (
        await latest_conversation(app),
        {"Authorization": f"Bearer {center.tokens[owner]}"},
        {"Authorization": f"Bearer {center.tokens[other]}"},
    )


async def attach(
    client: httpx.AsyncClient,
    conversation_sid: str,
    headers: dict[str, str],
    name: str,
    content: bytes,
    mime: str,
    caption: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/conversations/{conversation_sid}/attachments",
        files={"file": (name, content, mime)},
        data={"caption": caption} if caption else {},
        headers=headers,
    )


async def counts(app: FastAPI) -> tuple[int, int]:
    """Outbound messages by agents, and media files kept."""
    async with app.state.runtime.sessions() as session:
        agent = select(func.count()).select_from(Message).where(Message.author == "agent")
        media = select(func.count()).select_from(MediaFile)
        return (await session.scalar(agent)) or 0, (await session.scalar(media)) or 0


async def test_a_pdf_goes_to_whatsapp_by_a_link_meta_can_download(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    center: Center,
    graph: FakeGraphAPI,
) -> None:
    conversation, agent, _ = await served(app, client, hub, center)
    response = await attach(
        client, conversation.sid, agent, "apólice 2026.pdf", PDF, "application/pdf", "Sua apólice"
    )
    assert response.status_code == 202, response.text
    sent = response.json()
    assert (sent["type"], sent["text"], sent["status"]) == ("document", "Sua apólice", "queued")
    media_sid = sent["media_sid"]
    assert media_sid

    before = len(graph.sent)
    await drain(hub)
    body = graph.sent[before].body
    assert body["type"] == "document"
    document = body["document"]
    assert document["filename"] == "apólice 2026.pdf" and document["caption"] == "Sua apólice"
    public = app.state.runtime.settings.public_url.rstrip("/")
    assert document["link"].startswith(f"{public}/api/media/{media_sid}/shared/")

    # Meta downloads the file without any session, only with the link.
    download = await client.get(document["link"].removeprefix(public))
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    guessed = await client.get(f"/api/media/{media_sid}/shared/not-the-secret")
    assert guessed.status_code == 404
    # A day later (ATENDE_MEDIA_LINK_SECONDS) the providers' link no longer opens the file.
    lifetime = timedelta(seconds=app.state.runtime.settings.media_link_seconds)
    async with app.state.runtime.sessions() as session:
        await session.execute(
            update(Message)
            .where(Message.sid == sent["sid"])
            .values(sent_at=datetime.now(UTC) - lifetime - timedelta(minutes=1))
        )
        await session.commit()
    expired = await client.get(document["link"].removeprefix(public))
    assert expired.status_code == 410 and "expired" in expired.text

    # The history shows the attachment, read from our copy, and its delivery.
    history = await client.get(f"/api/conversations/{conversation.sid}/messages", headers=agent)
    shown = next(m for m in history.json()["messages"] if m["media_sid"] == media_sid)
    assert shown["status"] == "accepted" and shown["content"]["filename"] == "apólice 2026.pdf"
    copy = await client.get(f"/api/media/{media_sid}", headers=agent)
    assert copy.status_code == 200 and copy.content == PDF


async def test_an_image_is_sent_as_an_image_with_its_caption(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    center: Center,
    graph: FakeGraphAPI,
) -> None:
    conversation, agent, _ = await served(app, client, hub, center)
    response = await attach(client, conversation.sid, agent, "foto.png", PNG, "image/png", "Veja")
    assert response.status_code == 202, response.text
    before = len(graph.sent)
    await drain(hub)
    body = graph.sent[before].body
    assert body["type"] == "image" and body["image"]["caption"] == "Veja"
    assert "filename" not in body["image"]


@pytest.mark.parametrize(
    ("name", "content", "mime", "caption", "status", "words"),
    [
        ("grande.png", PNG + b"\x00" * (5 * MB), "image/png", None, 413, "at most 5 MB"),
        ("notas.txt", b"texto", "text/plain", None, 415, "WhatsApp accepts"),
        ("programa.pdf", b"MZ\x90\x00binary", "application/pdf", None, 415, "content is not"),
        ("vazio.pdf", b"", "application/pdf", None, 422, "is empty"),
        ("audio.ogg", b"OggS" + b"\x00" * 32, "audio/ogg", "legenda", 422, "without caption"),
    ],
)
async def test_a_file_whatsapp_would_refuse_is_refused_in_words_and_nothing_is_kept(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    center: Center,
    graph: FakeGraphAPI,
    name: str,
    content: bytes,
    mime: str,
    caption: str | None,
    status: int,
    words: str,
) -> None:
    conversation, agent, _ = await served(app, client, hub, center)
    before = await counts(app)
    response = await attach(client, conversation.sid, agent, name, content, mime, caption)
    assert response.status_code == status, response.text
    problem = response.json()
    assert words in problem["detail"] and problem["detail"].startswith(
        "caption:" if caption else "file:"
    )
    assert await counts(app) == before


async def test_an_agent_cannot_attach_to_another_agents_conversation(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, center: Center
) -> None:
    conversation, _, other = await served(app, client, hub, center)
    before = await counts(app)
    response = await attach(client, conversation.sid, other, "foto.png", PNG, "image/png")
    assert response.status_code == 403
    assert await counts(app) == before


async def test_an_sms_attachment_goes_to_twilio_as_media_url(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    twilio_api: FakeTwilioMessages,
) -> None:
    await post_twilio(client, inbound_sms(twilio_api, "Oi"), twilio_api.auth_token)
    await drain(hub)
    conversation = await latest_conversation(app)
    supervisor = {"Authorization": f"Bearer {await make_token(app, Role.SUPERVISOR)}"}
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64
    response = await attach(client, conversation.sid, supervisor, "foto.jpg", jpeg, "image/jpeg")
    assert response.status_code == 202, response.text
    before = len(twilio_api.sent)
    await drain(hub)
    form = twilio_api.sent[before]
    media_sid = response.json()["media_sid"]
    assert f"/api/media/{media_sid}/shared/" in form["MediaUrl"]
    assert "Body" not in form  # no caption was given
