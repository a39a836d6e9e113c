"""A WhatsApp conversation end to end: the bot greets with the protocol, shows the menu as a
list, asks the car plate, hands off to routing with the answers; the accepting agent owns it,
answers from the desk, transfers and wraps it up; the customer's next message starts anew and
goes first to the agent who served them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from atende.auth.models import Role
from atende.conversations.models import Conversation
from atende.errors import TwilioError
from atende.messaging.hub import MessagingHub
from tests.fakes.graph_api import FakeGraphAPI
from tests.messaging import meta_payloads as meta
from tests.messaging.conftest import drain, post_meta
from tests.messaging.routing_fakes import WORKFLOW, WORKSPACE, RecordingGateway, agent_headers

AGENT = "WK" + "a" * 32
OTHER_AGENT = "WK" + "b" * 32


@pytest.fixture
def gateway(hub: MessagingHub) -> RecordingGateway:
    recording = RecordingGateway()
    hub.router.gateway = recording
    hub.router.default_workflow_sid = WORKFLOW
    return recording


async def conversation_of(app: FastAPI) -> Conversation:
    async with app.state.runtime.sessions() as session:
        rows = (await session.scalars(select(Conversation).order_by(Conversation.opened_at))).all()
        return rows[-1]


async def accept(app: FastAPI, hub: MessagingHub, task_sid: str, worker_sid: str) -> None:
    async with app.state.runtime.sessions() as session:
        assert await hub.router.accepted(session, task_sid, worker_sid)
        await session.commit()


async def reach_agent(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, gateway: RecordingGateway
) -> Conversation:
    await post_meta(client, meta.text("wamid.F1", "Oi"))
    await drain(hub)
    await post_meta(client, meta.list_reply("wamid.F2", "cotacao_auto", "Seguro auto"))
    await drain(hub)
    await post_meta(client, meta.text("wamid.F3", "ABC1D23"))
    await drain(hub)
    await accept(app, hub, gateway.tasks[-1].sid, AGENT)
    return await conversation_of(app)


async def test_bot_greets_with_protocol_and_offers_the_menu_as_a_list(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    gateway: RecordingGateway,
) -> None:
    await post_meta(client, meta.text("wamid.F1", "Oi"))
    await drain(hub)
    conversation = await conversation_of(app)
    greeting, menu = graph.sent[0].body, graph.sent[1].body
    assert graph.sent[0].phone_number_id == meta.PHONE_NUMBER_ID
    assert greeting["to"] == meta.CUSTOMER_E164[1:]
    assert conversation.protocol in greeting["text"]["body"]
    assert menu["type"] == "interactive"
    assert menu["interactive"]["type"] == "list"
    rows = menu["interactive"]["action"]["sections"][0]["rows"]
    ids = [row["id"] for row in rows]
    assert {"cotacao_auto", "apolice", "sinistro", "cancelamento", "reclamacao"} <= set(ids)
    assert all(len(row["title"]) <= 24 for row in rows)
    assert conversation.state == "bot"


async def test_quote_asks_the_plate_then_hands_off_with_the_answers(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    gateway: RecordingGateway,
) -> None:
    await post_meta(client, meta.text("wamid.F1", "Oi"))
    await drain(hub)
    await post_meta(client, meta.list_reply("wamid.F2", "cotacao_auto", "Seguro auto"))
    await drain(hub)
    assert "placa" in graph.sent[-1].body["text"]["body"]
    assert gateway.tasks == []

    await post_meta(client, meta.text("wamid.F3", " ABC1D23 "))
    await drain(hub)
    [task] = gateway.tasks
    conversation = await conversation_of(app)
    assert (task.workspace_sid, task.workflow_sid, task.task_channel) == (
        WORKSPACE,
        WORKFLOW,
        "whatsapp",
    )
    assert task.attributes["motivo"] == "cotacao_auto"
    assert task.attributes["placa"] == "ABC1D23"
    assert task.attributes["protocol"] == conversation.protocol
    assert task.attributes["conversation_sid"] == conversation.sid
    assert task.attributes["from"] == meta.CUSTOMER_E164
    assert "known_worker_sid" not in task.attributes
    assert (conversation.state, conversation.task_sid) == ("queued", task.sid)


async def test_cancellation_is_reachable_while_the_bot_asks_something_else(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    gateway: RecordingGateway,
) -> None:
    await post_meta(client, meta.text("wamid.F1", "Oi"))
    await drain(hub)
    await post_meta(client, meta.list_reply("wamid.F2", "cotacao_auto", "Seguro auto"))
    await drain(hub)
    # Asked for the plate, the customer names the cancellation option instead.
    await post_meta(client, meta.text("wamid.F3", "Cancelamento"))
    await drain(hub)
    [task] = gateway.tasks
    assert task.attributes["motivo"] == "cancelamento"
    assert "placa" not in task.attributes


async def test_the_accepting_agent_owns_the_conversation_and_answers_from_the_desk(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    gateway: RecordingGateway,
) -> None:
    conversation = await reach_agent(app, client, hub, gateway)
    assert (conversation.state, conversation.worker_sid) == ("assigned", AGENT)
    headers = await agent_headers(app, AGENT)

    listing = await client.get("/api/conversations", headers=headers)
    assert [c["sid"] for c in listing.json()["conversations"]] == [conversation.sid]
    assert listing.json()["conversations"][0]["window_open"] is True

    sent = await client.post(
        f"/api/conversations/{conversation.sid}/messages",
        json={"text": "Olá Maria, sou a Ana. Vou cotar seu seguro."},
        headers=headers,
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["status"] == "queued"
    before = len(graph.sent)
    await drain(hub)
    assert graph.sent[before].body["text"]["body"] == "Olá Maria, sou a Ana. Vou cotar seu seguro."

    messages = await client.get(f"/api/conversations/{conversation.sid}/messages", headers=headers)
    mine = [m for m in messages.json()["messages"] if m["author"] == "agent"]
    assert mine[0]["status"] == "accepted"
    assert mine[0]["provider_id"] == graph.sent[before].wamid
    assert mine[0]["author_sid"] == AGENT


async def test_another_agent_can_neither_see_nor_write(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    gateway: RecordingGateway,
) -> None:
    conversation = await reach_agent(app, client, hub, gateway)
    other = await agent_headers(app, OTHER_AGENT)
    listing = await client.get("/api/conversations", headers=other)
    assert listing.json()["conversations"] == []
    read = await client.get(f"/api/conversations/{conversation.sid}/messages", headers=other)
    assert read.status_code == 403
    write = await client.post(
        f"/api/conversations/{conversation.sid}/messages", json={"text": "x"}, headers=other
    )
    assert write.status_code == 403
    supervisor = await agent_headers(app, "WK" + "c" * 32, Role.SUPERVISOR)
    everyone = await client.get("/api/conversations", headers=supervisor)
    assert [c["sid"] for c in everyone.json()["conversations"]] == [conversation.sid]


async def test_transfer_to_a_queue_routes_a_new_task_and_releases_the_agent(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    gateway: RecordingGateway,
) -> None:
    conversation = await reach_agent(app, client, hub, gateway)
    first_task = conversation.task_sid
    headers = await agent_headers(app, AGENT)
    queue = "WQ" + "1" * 32
    response = await client.post(
        f"/api/conversations/{conversation.sid}/transfer",
        json={"queue_sid": queue},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "queued"
    assert response.json()["worker_sid"] is None
    assert gateway.finished == [(first_task, "transferred")]
    assert gateway.tasks[-1].attributes["transfer_queue"] == queue
    assert gateway.tasks[-1].attributes["placa"] == "ABC1D23"
    # The agent no longer sees it; the next agent accepting the new task does.
    assert (await client.get("/api/conversations", headers=headers)).json()["conversations"] == []
    await accept(app, hub, gateway.tasks[-1].sid, OTHER_AGENT)
    assert (await conversation_of(app)).worker_sid == OTHER_AGENT


async def test_transfer_needs_exactly_one_target(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    gateway: RecordingGateway,
) -> None:
    conversation = await reach_agent(app, client, hub, gateway)
    headers = await agent_headers(app, AGENT)
    response = await client.post(
        f"/api/conversations/{conversation.sid}/transfer", json={}, headers=headers
    )
    assert response.status_code == 422
    assert "worker_sid or queue_sid" in response.json()["detail"]


async def test_wrap_up_closes_with_disposition_and_keeps_the_transcript(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    gateway: RecordingGateway,
) -> None:
    conversation = await reach_agent(app, client, hub, gateway)
    headers = await agent_headers(app, AGENT)
    response = await client.post(
        f"/api/conversations/{conversation.sid}/wrapup",
        json={"disposition": "cotacao_enviada", "notes": "Cliente vai pensar"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "closed"
    assert response.json()["disposition"] == "cotacao_enviada"
    assert gateway.finished == [(conversation.task_sid, "cotacao_enviada")]
    transcript = await client.get(
        f"/api/conversations/{conversation.sid}/transcript", headers=headers
    )
    assert f"Protocolo {conversation.protocol}" in transcript.text
    assert "Cliente: ABC1D23" in transcript.text
    assert "(cotacao_enviada)" in transcript.text
    again = await client.post(
        f"/api/conversations/{conversation.sid}/messages", json={"text": "Oi?"}, headers=headers
    )
    assert again.status_code == 409


async def test_participants_join_and_leave_as_the_conversation_moves_on(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    gateway: RecordingGateway,
) -> None:
    """The customer and the bot from the first message, the agent from the accept (the bot
    leaves then), and everyone left at the wrap-up."""
    conversation = await reach_agent(app, client, hub, gateway)
    headers = await agent_headers(app, AGENT)

    def who(body: dict[str, Any]) -> list[tuple[str, str, bool]]:
        return [(p["kind"], p["identity"], p["left_at"] is None) for p in body["participants"]]

    shown = await client.get(f"/api/conversations/{conversation.sid}", headers=headers)
    assert shown.status_code == 200, shown.text
    assert who(shown.json()) == [
        ("customer", conversation.contact_sid, True),
        ("bot", "bot", False),
        ("agent", AGENT, True),
    ]
    await client.post(
        f"/api/conversations/{conversation.sid}/wrapup", json={"disposition": "ok"}, headers=headers
    )
    shown = await client.get(f"/api/conversations/{conversation.sid}", headers=headers)
    assert [present for _kind, _identity, present in who(shown.json())] == [False] * 3


async def test_a_returning_customer_gets_a_new_protocol_and_goes_first_to_their_agent(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    gateway: RecordingGateway,
) -> None:
    first = await reach_agent(app, client, hub, gateway)
    headers = await agent_headers(app, AGENT)
    await client.post(
        f"/api/conversations/{first.sid}/wrapup", json={"disposition": "ok"}, headers=headers
    )
    await post_meta(client, meta.text("wamid.R1", "Oi de novo", timestamp=meta.TIMESTAMP + 60))
    await drain(hub)
    second = await conversation_of(app)
    assert second.sid != first.sid and second.protocol != first.protocol
    assert second.contact_sid == first.contact_sid
    await post_meta(client, meta.list_reply("wamid.R2", "sinistro", "Sinistro"))
    await drain(hub)
    assert gateway.tasks[-1].attributes["known_worker_sid"] == AGENT
    assert gateway.tasks[-1].attributes["motivo"] == "sinistro"


async def test_history_across_conversations_is_one_request(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    gateway: RecordingGateway,
) -> None:
    first = await reach_agent(app, client, hub, gateway)
    headers = await agent_headers(app, AGENT)
    await client.post(
        f"/api/conversations/{first.sid}/wrapup", json={"disposition": "ok"}, headers=headers
    )
    await post_meta(client, meta.text("wamid.R1", "Voltei", timestamp=meta.TIMESTAMP + 60))
    await drain(hub)
    supervisor = await agent_headers(app, "WK" + "c" * 32, Role.SUPERVISOR)
    response = await client.get(f"/api/contacts/{first.contact_sid}/history", headers=supervisor)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert len(body["conversations"]) == 2
    customer_texts = [m["text"] for m in body["messages"] if m["author"] == "customer"]
    assert customer_texts == ["Oi", "Seguro auto", "ABC1D23", "Voltei"]


async def test_a_transfer_routing_refuses_is_a_clear_error_and_changes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    gateway: RecordingGateway,
) -> None:
    conversation = await reach_agent(app, client, hub, gateway)
    headers = await agent_headers(app, AGENT)

    async def refuse(*_args: Any, **_kwargs: Any) -> str:
        raise TwilioError(400, 20001, "Invalid parameter TaskChannel: no task channel 'x'")

    gateway.create_task = refuse  # type: ignore[method-assign]
    response = await client.post(
        f"/api/conversations/{conversation.sid}/transfer",
        json={"worker_sid": OTHER_AGENT},
        headers=headers,
    )
    assert response.status_code == 422
    assert "TaskChannel" in response.json()["detail"]
    after = await conversation_of(app)
    assert (after.state, after.worker_sid) == ("assigned", AGENT)
