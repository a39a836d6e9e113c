"""Several WhatsApp Business numbers registered in /admin: each customer is answered from the
number they wrote to, with that number's own token (their pictures downloaded with it too), and
routed to that number's workflow; the environment's number keeps working beside them; a message
to a number nobody configured is kept and reported; a number removed after it had conversations
is only disabled: its history stays, new messages to it open nothing and its replies fail
saying why."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from atende.conversations.models import Conversation, InboundEvent, MediaFile, Message
from atende.messaging.bot import Draft
from atende.messaging.hub import MessagingHub
from atende.taskrouter import models as tr
from atende.taskrouter.service import TaskRouterService
from tests.fakes.graph_api import FakeGraphAPI
from tests.messaging import meta_payloads as meta
from tests.messaging.conftest import drain, post_meta
from tests.messaging.test_taskrouter_routing import Center, build_center

SALES_ID, CLAIMS_ID = "220011223344556", "330011223344556"
SALES_TOKEN, CLAIMS_TOKEN = "token-do-numero-vendas", "token-do-numero-sinistros"


@pytest.fixture
async def center(app: FastAPI, hub: MessagingHub) -> Center:
    return await build_center(app)


def to_number(document: dict[str, Any], phone_number_id: str, wa_id: str) -> dict[str, Any]:
    """The webhook Meta sends for `phone_number_id`, from the customer `wa_id`."""
    value = document["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = phone_number_id
    value["contacts"][0]["wa_id"] = value["messages"][0]["from"] = wa_id
    return document


async def second_workflow(app: FastAPI, center: Center) -> str:
    async with app.state.runtime.sessions() as session:
        main = await session.get(tr.Workflow, center.workflow_sid)
        assert main is not None
        workflow = await TaskRouterService(session, app.state.runtime).create_workflow(
            center.workspace_sid, "Sinistros", main.configuration
        )
        await session.commit()
        return workflow.sid


async def register(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    response = await client.post("/api/whatsapp/numbers", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def register_sales(
    client: httpx.AsyncClient, headers: dict[str, str], **extra: Any
) -> dict[str, Any]:
    """The sales number, as most tests register it."""
    return await register(
        client,
        headers,
        name="Vendas",
        phone_number_id=SALES_ID,
        display_phone_number="+551130040001",
        access_token=SALES_TOKEN,
        **extra,
    )


async def conversation_with(app: FastAPI, phone_number_id: str) -> Conversation:
    async with app.state.runtime.sessions() as session:
        query = select(Conversation).where(Conversation.business_address == phone_number_id)
        return (await session.scalars(query)).one()


async def task_workflow(app: FastAPI, task_sid: str | None) -> str:
    async with app.state.runtime.sessions() as session:
        task = await session.get(tr.Task, task_sid)
        assert task is not None
        return task.workflow_sid


async def test_each_number_answers_with_its_own_token_and_routes_to_its_own_workflow(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    center: Center,
    admin_headers: dict[str, str],
) -> None:
    graph.number_tokens = {SALES_ID: SALES_TOKEN, CLAIMS_ID: CLAIMS_TOKEN}
    claims_workflow = await second_workflow(app, center)
    await register(
        client,
        admin_headers,
        name="Vendas",
        phone_number_id=SALES_ID,
        display_phone_number="+55 11 3004-0001",
        access_token=SALES_TOKEN,
    )
    await register(
        client,
        admin_headers,
        name="Sinistros",
        phone_number_id=CLAIMS_ID,
        display_phone_number="+551130040002",
        access_token=CLAIMS_TOKEN,
        workflow_sid=claims_workflow,
    )
    customers = {SALES_ID: "5511911110001", CLAIMS_ID: "5511922220002"}
    customers[meta.PHONE_NUMBER_ID] = "5511933330003"  # the environment's number, as before
    for number, wa_id in customers.items():
        await post_meta(client, to_number(meta.text(f"wamid.{number}.1", "Oi"), number, wa_id))
    await drain(hub)

    assert graph.refused == []
    by_number: dict[str, set[str]] = {}
    for sent in graph.sent:
        by_number.setdefault(sent.phone_number_id, set()).add(sent.authorization)
        assert sent.body["to"] == customers[sent.phone_number_id]
    assert by_number == {
        SALES_ID: {f"Bearer {SALES_TOKEN}"},
        CLAIMS_ID: {f"Bearer {CLAIMS_TOKEN}"},
        meta.PHONE_NUMBER_ID: {f"Bearer {graph.access_token}"},
    }

    for number, wa_id in customers.items():
        reply = meta.list_reply(f"wamid.{number}.2", "sinistro", "Sinistro")
        await post_meta(client, to_number(reply, number, wa_id))
    await drain(hub)
    sales, claims, default = [await conversation_with(app, number) for number in customers]
    assert await task_workflow(app, claims.task_sid) == claims_workflow
    assert await task_workflow(app, sales.task_sid) == center.workflow_sid
    assert await task_workflow(app, default.task_sid) == center.workflow_sid

    # A picture sent to a number is downloaded with that number's token (the only one Meta
    # accepts for it).
    sha = graph.add_media("MEDIA.C1", b"\x89PNG sinistro", "image/png", CLAIMS_ID)
    picture = meta.media("wamid.C3", "image", "MEDIA.C1", "image/png", sha)
    await post_meta(client, to_number(picture, CLAIMS_ID, customers[CLAIMS_ID]))
    await drain(hub)
    async with app.state.runtime.sessions() as session:
        kept = (await session.scalars(select(MediaFile))).one()
    assert (kept.status, kept.last_error) == ("stored", None)
    assert graph.downloads == ["MEDIA.C1"]


async def test_a_number_nobody_configured_is_kept_and_reported(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stranger = "990011223344556"
    with caplog.at_level(logging.WARNING, logger="atende.messaging.whatsapp_numbers"):
        document = to_number(meta.text("wamid.X1", "Oi"), stranger, "5511944440004")
        assert (await post_meta(client, document)).status_code == 200
        await drain(hub)
    conversation = await conversation_with(app, stranger)
    assert conversation.customer_address == "+5511944440004"
    assert any(
        stranger in record.getMessage() and "neither registered" in record.getMessage()
        for record in caplog.records
    )
    # As before numbers could be registered: answered with the environment's token.
    assert {sent.phone_number_id for sent in graph.sent} == {stranger}
    assert {sent.authorization for sent in graph.sent} == {f"Bearer {graph.access_token}"}


async def messages_of(app: FastAPI, conversation_sid: str) -> list[Message]:
    async with app.state.runtime.sessions() as session:
        query = select(Message).where(Message.conversation_sid == conversation_sid)
        return list((await session.scalars(query.order_by(Message.id))).all())


async def inbound_state(app: FastAPI, wamid: str) -> str:
    async with app.state.runtime.sessions() as session:
        query = select(InboundEvent.state).where(InboundEvent.provider_message_id == wamid)
        return (await session.scalars(query)).one()


async def test_a_removed_number_with_conversations_is_disabled_kept_for_history_and_deaf(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    admin_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    graph.number_tokens = {SALES_ID: SALES_TOKEN}
    number = await register_sales(client, admin_headers)
    customer = "5511955550005"
    await post_meta(client, to_number(meta.text("wamid.D1", "Oi"), SALES_ID, customer))
    await drain(hub)
    conversation = await conversation_with(app, SALES_ID)
    history = await messages_of(app, conversation.sid)
    greeting = next(m for m in history if m.direction == "outbound")
    assert greeting.provider_id  # Meta took it
    sent_before = len(graph.sent)

    removed = await client.delete(f"/api/whatsapp/numbers/{number['sid']}", headers=admin_headers)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"sid": number["sid"], "outcome": "disabled"}
    listed = (await client.get("/api/whatsapp/numbers", headers=admin_headers)).json()
    assert [(n["sid"], n["enabled"]) for n in listed] == [(number["sid"], False)]

    # The customer writes again: Meta is answered (so it stops retrying) and the webhook kept
    # as it came, but no message, conversation, bot reply or task comes of it.
    with caplog.at_level(logging.WARNING, logger="atende.messaging.whatsapp_numbers"):
        again = to_number(meta.text("wamid.D2", "Ainda estão aí?"), SALES_ID, customer)
        assert (await post_meta(client, again)).status_code == 200
        await drain(hub)
    assert await inbound_state(app, "wamid.D2") == "ignored"
    assert [
        m.text for m in await messages_of(app, conversation.sid) if m.direction == "inbound"
    ] == ["Oi"]
    assert (await conversation_with(app, SALES_ID)).sid == conversation.sid
    assert len(graph.sent) == sent_before
    assert any("disabled in /admin" in record.getMessage() for record in caplog.records)

    # What was sent before still gets its receipts: the history stays complete.
    assert (await post_meta(client, meta.status(greeting.provider_id, "read"))).is_success
    await drain(hub)
    statuses = {m.sid: m.status for m in await messages_of(app, conversation.sid)}
    assert statuses[greeting.sid] == "read"

    # Nothing leaves from it either: a reply in its old conversation fails, saying why.
    async with hub.writing() as session:
        kept = await session.get(Conversation, conversation.sid)
        assert kept is not None
        reply = await hub.queue(session, kept, Draft("text", "Olá de novo"), author="agent")
        await session.commit()
    hub.after_commit()
    await drain(hub)
    failed = next(m for m in await messages_of(app, conversation.sid) if m.sid == reply.sid)
    assert failed.status == "failed" and failed.error_message is not None
    assert "+551130040001" in failed.error_message and "desativado" in failed.error_message
    assert len(graph.sent) == sent_before

    # Enabled again, it hears its customers again.
    enabled = await client.patch(
        f"/api/whatsapp/numbers/{number['sid']}", json={"enabled": True}, headers=admin_headers
    )
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    back = to_number(meta.text("wamid.D3", "Voltaram?"), SALES_ID, customer)
    await post_meta(client, back)
    await drain(hub)
    assert await inbound_state(app, "wamid.D3") == "done"
    inbound = [m.text for m in await messages_of(app, conversation.sid) if m.direction == "inbound"]
    assert inbound == ["Oi", "Voltaram?"]
    assert json.dumps(number).find(SALES_TOKEN) == -1
