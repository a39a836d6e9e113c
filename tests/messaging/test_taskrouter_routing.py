"""Conversations routed by the real TaskRouter engine: the hand-off creates a task on the
whatsapp channel, the accepting agent owns the conversation, wrap-up completes the task, and a
returning customer is offered first to the agent who served them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from atende.auth.models import Role
from atende.auth.service import AuthService
from atende.conversations.models import Conversation
from atende.messaging.assignments import reconcile
from atende.messaging.hub import MessagingHub
from atende.messaging.routing import known_agent_first
from atende.taskrouter import models as tr
from atende.taskrouter.service import TaskRouterService
from tests.conftest import LiveServer
from tests.messaging import meta_payloads as meta
from tests.messaging.conftest import drain, post_meta
from tests.support.waiting import eventually


@dataclass
class Center:
    workspace_sid: str
    workflow_sid: str
    workers: dict[str, str]
    tokens: dict[str, str]


@pytest.fixture
async def center(app: FastAPI, hub: MessagingHub) -> Center:
    return await build_center(app)


async def build_center(app: FastAPI) -> Center:
    """Two available agents on a whatsapp channel; the messaging hub routes to its workflow."""
    runtime = app.state.runtime
    hub: MessagingHub = runtime.services["messaging"]
    async with runtime.sessions() as session:
        auth = AuthService(session)
        account = await auth.create_account("Corretora")
        service = TaskRouterService(session, runtime)
        workspace = await service.create_workspace(account.account_sid, "Corretora")
        await service.create_task_channel(workspace.sid, "WhatsApp", "whatsapp")
        available = await session.scalar(
            select(tr.Activity.sid).where(
                tr.Activity.workspace_sid == workspace.sid, tr.Activity.friendly_name == "Available"
            )
        )
        queue = await service.create_task_queue(
            workspace.sid, "Relacionamento", target_workers="1==1"
        )
        configuration = {
            "task_routing": {
                "filters": [
                    {
                        "filter_friendly_name": "Atendimento",
                        "expression": "channel == 'whatsapp'",
                        "targets": [known_agent_first(queue.sid), {"queue": queue.sid}],
                    }
                ],
                "default_filter": {"queue": queue.sid},
            }
        }
        workflow = await service.create_workflow(
            workspace.sid, "Mensagens", json.dumps(configuration)
        )
        workers: dict[str, str] = {}
        tokens: dict[str, str] = {}
        for name in ("ana", "bruno"):
            worker = await service.create_worker(workspace.sid, name, activity_sid=available)
            workers[name] = worker.sid
            user = await auth.create_user(
                f"{name}@corretora.example", Role.AGENT, worker_sid=worker.sid
            )
            tokens[name] = await auth.create_token(name, Role.AGENT, user.id)
        await session.commit()
    hub.router.default_workflow_sid = workflow.sid
    return Center(workspace.sid, workflow.sid, workers, tokens)


async def reservation_of(app: FastAPI, task_sid: str) -> tr.Reservation:
    async with app.state.runtime.sessions() as session:
        query = select(tr.Reservation).where(tr.Reservation.task_sid == task_sid)
        return (await session.scalars(query)).one()


async def latest_conversation(app: FastAPI) -> Conversation:
    async with app.state.runtime.sessions() as session:
        query = select(Conversation).order_by(Conversation.opened_at.desc())
        return (await session.scalars(query)).first()


async def accept(app: FastAPI, center: Center, reservation_sid: str) -> None:
    async with app.state.runtime.sessions() as session:
        service = TaskRouterService(session, app.state.runtime)
        await service.accept_reservation(center.workspace_sid, reservation_sid)
        await session.commit()


async def customer_reaches_queue(
    client: httpx.AsyncClient, hub: MessagingHub, prefix: str, wa_id: str = meta.CUSTOMER_WA_ID
) -> None:
    await post_meta(client, meta.text(f"{prefix}1", "Oi", wa_id=wa_id, user_id=None))
    await drain(hub)
    reply = meta.list_reply(f"{prefix}2", "sinistro", "Sinistro")
    message = reply["entry"][0]["changes"][0]["value"]
    message["contacts"][0]["wa_id"] = message["messages"][0]["from"] = wa_id
    await post_meta(client, reply)
    await drain(hub)


async def test_accepting_the_task_gives_the_agent_the_conversation(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, center: Center
) -> None:
    await customer_reaches_queue(client, hub, "wamid.A")
    conversation = await latest_conversation(app)
    assert conversation.state == "queued" and conversation.task_sid
    async with app.state.runtime.sessions() as session:
        task = await session.get(tr.Task, conversation.task_sid)
        assert task is not None
        attributes = json.loads(task.attributes)
        channel = await session.get(tr.TaskChannel, task.task_channel_sid)
        assert channel is not None and channel.unique_name == "whatsapp"
    assert attributes["motivo"] == "sinistro"
    assert attributes["conversation_sid"] == conversation.sid

    reservation = await reservation_of(app, conversation.task_sid)
    await accept(app, center, reservation.sid)
    await reconcile(hub)
    owned = await latest_conversation(app)
    assert (owned.state, owned.worker_sid) == ("assigned", reservation.worker_sid)

    name = next(n for n, sid in center.workers.items() if sid == reservation.worker_sid)
    headers = {"Authorization": f"Bearer {center.tokens[name]}"}
    response = await client.post(
        f"/api/conversations/{owned.sid}/wrapup", json={"disposition": "orientado"}, headers=headers
    )
    assert response.status_code == 200, response.text
    async with app.state.runtime.sessions() as session:
        task = await session.get(tr.Task, owned.task_sid)
        assert task is not None and task.assignment_status == "completed"


async def test_a_returning_customer_is_offered_first_to_their_agent(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, center: Center
) -> None:
    await customer_reaches_queue(client, hub, "wamid.A")
    first = await latest_conversation(app)
    assert first.task_sid is not None
    reservation = await reservation_of(app, first.task_sid)
    served_by = reservation.worker_sid
    await accept(app, center, reservation.sid)
    await reconcile(hub)
    name = next(n for n, sid in center.workers.items() if sid == served_by)
    headers = {"Authorization": f"Bearer {center.tokens[name]}"}
    await client.post(
        f"/api/conversations/{first.sid}/wrapup", json={"disposition": "ok"}, headers=headers
    )
    # Make the other agent the longest idle, so only the known-agent step explains the choice.
    for attempt in range(3):
        await customer_reaches_queue(client, hub, f"wamid.R{attempt}")
        again = await latest_conversation(app)
        assert again.sid != first.sid and again.task_sid is not None
        offered = await reservation_of(app, again.task_sid)
        assert offered.worker_sid == served_by
        async with app.state.runtime.sessions() as session:
            task = await session.get(tr.Task, again.task_sid)
            assert task is not None
            assert json.loads(task.attributes)["known_worker_sid"] == served_by
        await accept(app, center, offered.sid)
        await reconcile(hub)
        await client.post(
            f"/api/conversations/{again.sid}/wrapup", json={"disposition": "ok"}, headers=headers
        )


async def test_a_new_customer_skips_the_known_agent_step(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, center: Center
) -> None:
    await customer_reaches_queue(client, hub, "wamid.N", wa_id="5521999990000")
    conversation = await latest_conversation(app)
    assert conversation.task_sid is not None
    reservation = await reservation_of(app, conversation.task_sid)
    assert reservation.worker_sid in center.workers.values()


async def test_an_acceptance_heard_on_the_bus_assigns_the_conversation(
    messaging_server: LiveServer,
) -> None:
    """With the node's background jobs running: webhook, bot, task, and the agent's accept
    reaching the conversation through the event bus (no reconcile)."""
    app = messaging_server.app
    center = await asyncio.to_thread(messaging_server.call, build_center(app))
    async with httpx.AsyncClient(base_url=messaging_server.url) as http:
        await customer_reaches_queue_live(http)

        async def queued() -> Conversation | None:
            row = await asyncio.to_thread(messaging_server.call, latest_or_none(app))
            return row if row is not None and row.task_sid else None

        conversation = await eventually(queued, lambda row: row is not None)
        assert conversation is not None and conversation.task_sid is not None
        reservation = await asyncio.to_thread(
            messaging_server.call, reservation_of(app, conversation.task_sid)
        )
        await asyncio.to_thread(messaging_server.call, accept(app, center, reservation.sid))

        async def owner() -> str | None:
            row = await asyncio.to_thread(messaging_server.call, latest_or_none(app))
            return row.worker_sid if row is not None else None

        assert await eventually(owner, lambda sid: sid is not None) == reservation.worker_sid


async def latest_or_none(app: FastAPI) -> Conversation | None:
    async with app.state.runtime.sessions() as session:
        query = select(Conversation).order_by(Conversation.opened_at.desc())
        return (await session.scalars(query)).first()


async def customer_reaches_queue_live(http: httpx.AsyncClient) -> None:
    """The same two webhooks, over real HTTP; the node processes them in the background."""
    for document in (
        meta.text("wamid.L1", "Oi", user_id=None),
        meta.list_reply("wamid.L2", "sinistro", "Sinistro"),
    ):
        body = meta.encode(document)
        response = await http.post(
            "/webhooks/whatsapp",
            content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta.sign(body)},
        )
        assert response.status_code == 200


async def test_without_a_configured_workflow_the_only_one_there_is_routes(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, center: Center
) -> None:
    hub.router.default_workflow_sid = None
    await customer_reaches_queue(client, hub, "wamid.O")
    conversation = await latest_conversation(app)
    assert conversation.task_sid is not None
    assert hub.router.default_workflow_sid == center.workflow_sid


async def test_after_a_transfer_the_conversation_is_nobodys_until_accepted(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, center: Center
) -> None:
    await customer_reaches_queue(client, hub, "wamid.T")
    conversation = await latest_conversation(app)
    assert conversation.task_sid is not None
    reservation = await reservation_of(app, conversation.task_sid)
    await accept(app, center, reservation.sid)
    await reconcile(hub)
    name = next(n for n, sid in center.workers.items() if sid == reservation.worker_sid)
    headers = {"Authorization": f"Bearer {center.tokens[name]}"}
    # This workflow has no filter on `transfer_queue`: the new task goes by its other filters.
    response = await client.post(
        f"/api/conversations/{conversation.sid}/transfer",
        json={"queue_sid": "WQ" + "9" * 32},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    again = await client.post(
        f"/api/conversations/{conversation.sid}/wrapup",
        json={"disposition": "ok"},
        headers={"Authorization": f"Bearer {center.tokens['ana' if name == 'bruno' else 'bruno']}"},
    )
    assert again.status_code == 403, "the conversation is nobody's until the new task is accepted"
