"""A supervisor moves work already in an agent's hands, as the agents then see it on their
desks: a task to another agent or queue, a live WhatsApp chat to another queue."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import FastAPI

from atende.messaging.assignments import reconcile
from atende.messaging.hub import MessagingHub
from tests.desk.conftest import Browser
from tests.desk.contact_center import ContactCenter, create_task, set_activity
from tests.messaging.conftest import app, graph, hub, twilio_api
from tests.messaging.test_taskrouter_routing import customer_reaches_queue, latest_conversation

__all__ = ["app", "graph", "hub", "twilio_api"]

OpenBrowser = Callable[..., AbstractAsyncContextManager[Browser]]


async def work(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/desk/agent")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["work"]
    return items


async def take(client: httpx.AsyncClient) -> dict[str, Any]:
    """Accepts the one offer on the agent's desk."""
    [offer] = await work(client)
    accepted = await client.post(f"/api/desk/reservations/{offer['reservation_sid']}/accept")
    assert accepted.status_code == 204, accepted.text
    return offer


async def move(supervisor: httpx.AsyncClient, task_sid: str, **target: str) -> None:
    """The supervisor moves a task to `worker_sid` or `queue_sid`."""
    moved = await supervisor.post(f"/api/desk/supervisor/tasks/{task_sid}/move", json=target)
    assert moved.status_code == 204, moved.text


async def test_a_task_an_agent_works_on_is_moved_to_another_agent(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    await set_activity(app, center, "ana", "Disponível")
    await create_task(app, center, {"motivo": "cotacao_auto", "name": "Carlos Dias"})
    async with (
        browser("ana") as ana,
        browser("bruno") as bruno,
        browser("supervisora", "/supervisor") as sup,
    ):
        held = await take(ana)
        await set_activity(app, center, "bruno", "Disponível")
        await move(sup, held["task_sid"], worker_sid=center.workers["bruno"])
        assert await work(ana) == []
        [offer] = await work(bruno)
    assert offer["reservation_status"] == "pending"
    assert offer["customer_name"] == "Carlos Dias" and offer["task_sid"] != held["task_sid"]


async def test_a_task_an_agent_works_on_is_moved_to_another_queue(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    await set_activity(app, center, "ana", "Disponível")
    await create_task(app, center, {"motivo": "cotacao_auto", "name": "Carlos Dias"})
    async with (
        browser("ana") as ana,
        browser("elisa") as elisa,
        browser("supervisora", "/supervisor") as sup,
    ):
        held = await take(ana)
        await set_activity(app, center, "elisa", "Disponível")
        await move(sup, held["task_sid"], queue_sid=center.queues["relacionamento"])
        assert await work(ana) == [], "not back to Vendas Auto, where Ana is free"
        [offer] = await work(elisa)
    assert offer["queue_name"] == "Relacionamento" and offer["customer_name"] == "Carlos Dias"


async def test_a_live_whatsapp_chat_is_moved_to_another_queue(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    center: ContactCenter,
    browser: OpenBrowser,
) -> None:
    hub.router.default_workflow_sid = center.workflow_sid
    await set_activity(app, center, "elisa", "Disponível")
    await customer_reaches_queue(client, hub, "wamid.MV")
    async with (
        browser("elisa") as elisa,
        browser("ana") as ana,
        browser("supervisora", "/supervisor") as sup,
    ):
        held = await take(elisa)
        assert held["queue_name"] == "Relacionamento"
        await reconcile(hub)
        chat = await latest_conversation(app)
        assert (chat.state, chat.worker_sid) == ("assigned", center.workers["elisa"])
        await set_activity(app, center, "ana", "Disponível")

        await move(sup, held["task_sid"], queue_sid=center.queues["auto"])
        assert await work(elisa) == []
        [offer] = await work(ana)
        assert offer["queue_name"] == "Vendas Auto" and offer["channel"] == "whatsapp"
        await take(ana)
        await reconcile(hub)
    after = await latest_conversation(app)
    assert after.sid == chat.sid, "the customer's chat goes on, now with Ana"
    assert (after.state, after.worker_sid) == ("assigned", center.workers["ana"])
