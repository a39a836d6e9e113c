"""Sending through the Graph API: throttling retried with backoff, refusals explained to the
agent, statuses that only move forward, the 24-hour window and approved templates."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from atende.auth.models import Role
from atende.conversations.models import Conversation, InboundEvent, Message
from atende.messaging.hub import MessagingHub
from atende.messaging.outbound import MAX_ATTEMPTS
from tests.conftest import make_token
from tests.fakes.graph_api import FakeGraphAPI
from tests.messaging import meta_payloads as meta
from tests.messaging.conftest import drain, post_meta

DAY = 24 * 3600


async def open_conversation(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, timestamp: int = meta.TIMESTAMP
) -> Conversation:
    await post_meta(client, meta.text("wamid.O1", "Oi", timestamp=timestamp))
    await drain(hub)
    async with app.state.runtime.sessions() as session:
        return (await session.scalars(select(Conversation))).one()


async def supervisor(app: FastAPI) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_token(app, Role.SUPERVISOR)}"}


async def outbound(app: FastAPI) -> list[Message]:
    async with app.state.runtime.sessions() as session:
        query = select(Message).where(Message.direction == "outbound").order_by(Message.id)
        return list((await session.scalars(query)).all())


async def test_throttled_sends_are_retried_until_accepted_in_order(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    graph.errors = ["130429", "131056", "80007"]
    await open_conversation(app, client, hub)
    await drain(hub, rounds=20)
    assert [r["code"] for r in graph.refused] == ["130429", "131056", "80007"]
    greeting, menu = graph.sent[0].body, graph.sent[1].body
    assert greeting["type"] == "text" and menu["type"] == "interactive", "order is kept"
    messages = await outbound(app)
    assert [m.status for m in messages] == ["accepted", "accepted"]
    assert messages[0].attempts == 4


async def test_while_throttled_the_agent_sees_why_in_words(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    hub.outbound.retry_base = 3600.0  # keep it waiting so the state can be read
    graph.errors = ["130429"]
    await open_conversation(app, client, hub)
    [greeting, menu] = await outbound(app)
    assert (greeting.status, greeting.error_code) == ("queued", "130429")
    assert greeting.error_message is not None
    assert "será reenviada" in greeting.error_message
    assert menu.status == "queued" and menu.attempts == 0, "a later message waits its turn"


async def test_a_refusal_fails_the_message_with_the_reason_in_words(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    graph.errors = ["131026"]
    await open_conversation(app, client, hub)
    [greeting, menu] = await outbound(app)
    assert (greeting.status, greeting.error_code) == ("failed", "131026")
    assert greeting.error_message is not None
    assert "Não foi possível entregar" in greeting.error_message
    assert menu.status == "accepted", "one refusal does not block the rest"


async def test_throttling_that_never_ends_gives_up_after_the_last_attempt(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    graph.errors = ["130429"] * MAX_ATTEMPTS
    await open_conversation(app, client, hub)
    await drain(hub, rounds=MAX_ATTEMPTS + 4)
    greeting = (await outbound(app))[0]
    assert (greeting.status, greeting.attempts) == ("failed", MAX_ATTEMPTS)


async def test_statuses_arriving_out_of_order_only_move_forward(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    await open_conversation(app, client, hub)
    wamid = graph.sent[0].wamid
    for name in ("read", "delivered", "sent", "read"):
        await post_meta(client, meta.status(wamid, name))
    await post_meta(client, meta.status(wamid, "failed", error_code=131026))
    await drain(hub)
    greeting = (await outbound(app))[0]
    assert greeting.status == "read"
    assert greeting.error_code is None
    async with app.state.runtime.sessions() as session:
        keys = (await session.scalars(select(InboundEvent.key))).all()
    assert sum(key.startswith(f"meta:status:{wamid}:read") for key in keys) == 1


async def test_a_failed_status_carries_its_error_code_in_words(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    await open_conversation(app, client, hub)
    wamid = graph.sent[0].wamid
    await post_meta(client, meta.status(wamid, "sent"))
    await post_meta(client, meta.status(wamid, "failed", error_code=131047))
    await drain(hub)
    greeting = (await outbound(app))[0]
    assert (greeting.status, greeting.error_code) == ("failed", "131047")
    assert greeting.error_message is not None and "24 horas" in greeting.error_message


async def test_a_status_before_the_send_is_recorded_waits_and_then_applies(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    await post_meta(client, meta.text("wamid.O1", "Oi"))
    await hub.inbound.process_pending()  # the bot's answer is queued, not yet sent
    early = "wamid.FAKE00000001"  # the id the fake will give the first message
    await post_meta(client, meta.status(early, "delivered"))
    await hub.inbound.process_pending()
    async with app.state.runtime.sessions() as session:
        row = (
            await session.scalars(select(InboundEvent).where(InboundEvent.kind == "status"))
        ).one()
        assert row.state == "waiting"
    await drain(hub)
    assert graph.sent[0].wamid == early
    assert (await outbound(app))[0].status == "delivered"


async def test_outside_the_window_free_text_is_refused_and_templates_offered(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    conversation = await open_conversation(app, client, hub, timestamp=meta.TIMESTAMP - DAY)
    headers = await supervisor(app)
    admin = {"Authorization": f"Bearer {await make_token(app, Role.ADMIN)}"}
    registered = await client.put(
        "/api/whatsapp/templates",
        json={
            "name": "retomar_atendimento",
            "language": "pt_BR",
            "body": "Olá {{1}}, sobre o protocolo {{2}}: podemos continuar?",
            "variables": ["nome", "protocolo"],
        },
        headers=admin,
    )
    assert registered.status_code == 200, registered.text
    view = (await client.get(f"/api/conversations/{conversation.sid}", headers=headers)).json()
    assert view["window_open"] is False
    assert view["window_expires_at"] is not None

    refused = await client.post(
        f"/api/conversations/{conversation.sid}/messages", json={"text": "Oi?"}, headers=headers
    )
    assert refused.status_code == 409
    problem = refused.json()
    assert "24 horas" in problem["detail"]
    assert [t["name"] for t in problem["templates"]] == ["retomar_atendimento"]

    sent = await client.post(
        f"/api/conversations/{conversation.sid}/messages",
        json={
            "type": "template",
            "template": "retomar_atendimento",
            "language": "pt_BR",
            "variables": ["Maria", conversation.protocol],
        },
        headers=headers,
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["text"] == (
        f"Olá Maria, sobre o protocolo {conversation.protocol}: podemos continuar?"
    )
    before = len(graph.sent)
    await drain(hub)
    body = graph.sent[before].body
    assert body["type"] == "template"
    assert body["template"]["name"] == "retomar_atendimento"
    assert body["template"]["language"] == {"code": "pt_BR"}
    parameters = body["template"]["components"][0]["parameters"]
    assert [p["text"] for p in parameters] == ["Maria", conversation.protocol]


async def test_a_template_with_the_wrong_number_of_values_is_refused_in_words(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub
) -> None:
    conversation = await open_conversation(app, client, hub)
    admin = {"Authorization": f"Bearer {await make_token(app, Role.ADMIN)}"}
    await client.put(
        "/api/whatsapp/templates",
        json={"name": "lembrete", "body": "Olá {{1}}", "variables": ["nome"]},
        headers=admin,
    )
    response = await client.post(
        f"/api/conversations/{conversation.sid}/messages",
        json={"type": "template", "template": "lembrete", "variables": []},
        headers=await supervisor(app),
    )
    assert response.status_code == 422
    assert "needs 1 value(s) (nome)" in response.json()["detail"]


async def test_only_the_customer_reopens_the_window(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub
) -> None:
    conversation = await open_conversation(app, client, hub, timestamp=meta.TIMESTAMP - DAY)
    headers = await supervisor(app)
    view = (await client.get(f"/api/conversations/{conversation.sid}", headers=headers)).json()
    assert view["window_open"] is False
    await post_meta(client, meta.text("wamid.O2", "Oi de novo"))
    await drain(hub)
    view = (await client.get(f"/api/conversations/{conversation.sid}", headers=headers)).json()
    assert view["window_open"] is True
    # An older message delivered late does not move the window back.
    await post_meta(client, meta.text("wamid.O0", "antiga", timestamp=meta.TIMESTAMP - 2 * DAY))
    await drain(hub)
    again = (await client.get(f"/api/conversations/{conversation.sid}", headers=headers)).json()
    assert again["window_expires_at"] == view["window_expires_at"]


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [
        (
            {"type": "image", "link": "https://cdn.example.com/a.png", "text": "Veja"},
            {
                "type": "image",
                "image": {"link": "https://cdn.example.com/a.png", "caption": "Veja"},
            },
        ),
        (
            {"type": "document", "link": "https://cdn.example.com/p.pdf", "filename": "p.pdf"},
            {
                "type": "document",
                "document": {"link": "https://cdn.example.com/p.pdf", "filename": "p.pdf"},
            },
        ),
    ],
)
async def test_media_is_sent_by_link(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    request_body: dict[str, str],
    expected: dict[str, object],
) -> None:
    conversation = await open_conversation(app, client, hub)
    response = await client.post(
        f"/api/conversations/{conversation.sid}/messages",
        json=request_body,
        headers=await supervisor(app),
    )
    assert response.status_code == 202, response.text
    before = len(graph.sent)
    await drain(hub)
    body = graph.sent[before].body
    assert {key: body[key] for key in expected} == expected
