"""Supervisor views as a supervisor uses them: the numbers move as work flows, a thousand
agents are listed, agents' status is changed, an agent is signed out, a task is moved."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import FastAPI

from atende.taskrouter.service import TaskRouterService
from tests.desk.conftest import Browser
from tests.desk.contact_center import ContactCenter, create_task, seed, set_activity
from tests.support.waiting import eventually

OpenBrowser = Callable[..., AbstractAsyncContextManager[Browser]]
QUOTE = {"motivo": "cotacao_auto", "name": "Carlos Dias"}


async def overview(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/desk/supervisor")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def queue(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(q for q in body["queues"] if q["name"] == name)


async def cancel(app: FastAPI, center: ContactCenter, task_sid: str) -> None:
    async with app.state.runtime.sessions() as session:
        await TaskRouterService(session, app.state.runtime).cancel_task(
            center.workspace_sid, task_sid, reason="caller hung up"
        )
        await session.commit()


async def test_queue_numbers_follow_the_work(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("supervisora", "/supervisor") as sup, browser("ana") as ana:
        start = await overview(sup)
        assert {q["name"] for q in start["queues"]} >= {"Vendas Auto", "Relacionamento"}
        assert start["totals"]["offline"] == 3 and start["totals"]["handled"] == 0

        await set_activity(app, center, "ana", "Disponível")
        await create_task(app, center, QUOTE)
        offered = await overview(sup)
        assert queue(offered, "Vendas Auto")["waiting"] == 1
        assert offered["totals"]["busy"] == 1

        offer = (await ana.get("/api/desk/agent")).json()["work"][0]
        await ana.post(f"/api/desk/reservations/{offer['reservation_sid']}/accept")
        # The day's figures follow the event bus, which is Redis when configured: a moment late.
        answered = await eventually(
            lambda: overview(sup), lambda body: queue(body, "Vendas Auto")["handled"] == 1
        )
        auto = queue(answered, "Vendas Auto")
        assert (auto["waiting"], auto["handled"], auto["service_level"]) == (0, 1, 100.0)
        assert (auto["service_level_threshold"], auto["service_level_target"]) == (20, 80)

        lost = await create_task(app, center, {"motivo": "cotacao_vida"})
        assert queue(await overview(sup), "Vendas Vida")["waiting"] == 1
        await cancel(app, center, lost)
        after = await eventually(
            lambda: overview(sup), lambda body: queue(body, "Vendas Vida")["abandoned"] == 1
        )
    vida = queue(after, "Vendas Vida")
    assert (vida["waiting"], vida["abandoned"]) == (0, 1)
    assert after["totals"]["handled"] == 1 and after["totals"]["abandoned"] == 1


async def test_agents_may_not_use_the_supervisor_views(
    center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("ana") as ana:
        assert (await ana.get("/api/desk/supervisor")).status_code == 403
        assert (await ana.get("/api/desk/supervisor/team")).status_code == 403
        moved = await ana.post(f"/api/desk/supervisor/workers/{center.workers['bruno']}/sign-out")
        assert moved.status_code == 403


async def test_the_team_lists_a_thousand_agents_with_state_and_work(app: FastAPI) -> None:
    center = await seed(app.state.runtime, extra_workers=1000)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.post(
            "/login", data={"email": center.email("supervisora"), "password": "senha-bem-forte"}
        )
        team = (await client.get("/api/desk/supervisor/team")).json()["workers"]
        assert len(team) == 1003
        agent = next(w for w in team if w["name"] == "Agente 0001")
        assert agent["team"] == "Time 1" and agent["skills"] == ["auto", "relacionamento"]
        assert agent["state"] == "available" and agent["since"]
        some = ",".join(center.workers[name] for name in ("ana", "bruno"))
        two = (await client.get(f"/api/desk/supervisor/team?workers={some}")).json()
    assert sorted(w["name"] for w in two["workers"]) == ["Ana Souza", "Bruno Lima"]


async def test_a_supervisor_changes_an_agents_status_and_signs_them_out(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    ana_sid = center.workers["ana"]
    async with browser("supervisora", "/supervisor") as sup, browser("ana") as ana:
        changed = await sup.post(
            f"/api/desk/supervisor/workers/{ana_sid}/activity",
            json={"activity_sid": center.activities["Disponível"]},
        )
        assert changed.status_code == 204
        assert (await ana.get("/api/desk/agent")).json()["worker"]["activity_name"] == "Disponível"
        assert (
            await sup.post(f"/api/desk/supervisor/workers/{ana_sid}/sign-out")
        ).status_code == 204
        assert (await ana.get("/api/desk/agent")).status_code == 401
        team = (await sup.get(f"/api/desk/supervisor/team?workers={ana_sid}")).json()
    assert team["workers"][0]["activity_name"] == "Offline"


async def test_a_waiting_task_is_moved_to_another_queue(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    task_sid = await create_task(app, center, {"motivo": "cotacao_vida"})
    async with browser("supervisora", "/supervisor") as sup:
        moved = await sup.post(
            f"/api/desk/supervisor/tasks/{task_sid}/move",
            json={"queue_sid": center.queues["relacionamento"]},
        )
        assert moved.status_code == 204, moved.text
        after = await overview(sup)
    assert queue(after, "Vendas Vida")["abandoned"] == 0
    async with app.state.runtime.sessions() as session:
        service = TaskRouterService(session, app.state.runtime)
        old = await service.task(center.workspace_sid, task_sid)
        assert (old.assignment_status, old.reason) == ("canceled", "moved")
        pending = await service.repo.tasks(
            center.workspace_sid, statuses=("pending",), window=_All()
        )
    assert len(pending) == 1
    assert pending[0].task_queue_sid == center.queues["relacionamento"]
    moved_to = json.loads(pending[0].attributes)["transfer_queue"]
    assert moved_to == center.queues["relacionamento"]


class _All:
    offset = 0
    limit = 1000
