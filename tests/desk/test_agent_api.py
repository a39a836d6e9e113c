"""The agent desktop's JSON as an agent lives it: status, an offer, accept, wrap-up, complete;
and the walls: an agent never touches another agent's work, nor acts without the CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from atende.desk.models import WrapUp
from atende.taskrouter.service import TaskRouterService
from tests.desk.conftest import Browser
from tests.desk.contact_center import ContactCenter, create_task, set_activity

OpenBrowser = Callable[..., AbstractAsyncContextManager[Browser]]
QUOTE = {"motivo": "cotacao_auto", "name": "Carlos Dias", "from": "+5511988887777"}


async def state(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/desk/agent")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def go(client: httpx.AsyncClient, center: ContactCenter, activity: str) -> None:
    response = await client.post(
        "/api/desk/activity", json={"activity_sid": center.activities[activity]}
    )
    assert response.status_code == 204, response.text


async def task_status(app: FastAPI, center: ContactCenter, task_sid: str) -> str:
    async with app.state.runtime.sessions() as session:
        task = await TaskRouterService(session, app.state.runtime).task(
            center.workspace_sid, task_sid
        )
        return task.assignment_status


async def test_the_desk_opens_with_status_choices_and_no_work(
    center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("ana") as ana:
        desk = await state(ana)
    assert desk["worker"]["name"] == "Ana Souza"
    assert desk["worker"]["activity_name"] == "Offline"
    names = [activity["name"] for activity in desk["activities"]]
    assert {"Disponível", "Pausa", "Almoço", "Offline"} <= set(names)
    assert [d["label"] for d in desk["dispositions"]] == [
        "Venda realizada",
        "Cotação enviada",
        "Sem interesse",
        "Retornar depois",
    ]
    assert desk["work"] == [] and desk["last_seq"] >= 0
    limits = desk["attachment_limits"]
    assert limits["image/png"] == 5 * 1024 * 1024 and limits["application/pdf"] == 100 * 1024 * 1024


async def test_an_offer_is_accepted_wrapped_up_and_completed(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("ana") as ana:
        await go(ana, center, "Disponível")
        task_sid = await create_task(app, center, QUOTE)
        offer = (await state(ana))["work"][0]
        assert offer["reservation_status"] == "pending"
        assert offer["queue_name"] == "Vendas Auto"
        assert offer["customer_name"] == "Carlos Dias" and offer["channel"] == "whatsapp"
        assert offer["timeout_at"] is not None

        accepted = await ana.post(f"/api/desk/reservations/{offer['reservation_sid']}/accept")
        assert accepted.status_code == 204, accepted.text
        held = (await state(ana))["work"][0]
        assert held["reservation_status"] == "accepted" and held["accepted_at"] is not None

        assert (await ana.post(f"/api/desk/tasks/{task_sid}/wrapup")).status_code == 204
        assert (await state(ana))["work"][0]["reservation_status"] == "wrapping"

        done = await ana.post(
            f"/api/desk/tasks/{task_sid}/complete",
            json={"disposition_code": "cotacao_enviada", "note": "Enviada por e-mail"},
        )
        assert done.status_code == 204, done.text
        assert (await state(ana))["work"] == []
    assert await task_status(app, center, task_sid) == "completed"
    async with app.state.runtime.sessions() as session:
        wrap_up = await session.scalar(select(WrapUp).where(WrapUp.task_sid == task_sid))
    assert wrap_up is not None
    assert (wrap_up.disposition_label, wrap_up.note) == ("Cotação enviada", "Enviada por e-mail")


async def test_declining_an_offer_sets_the_agent_away_so_it_does_not_ring_again(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("ana") as ana:
        await go(ana, center, "Disponível")
        task_sid = await create_task(app, center, QUOTE)
        offer = (await state(ana))["work"][0]

        declined = await ana.post(f"/api/desk/reservations/{offer['reservation_sid']}/reject")

        assert declined.status_code == 204, declined.text
        desk = await state(ana)
        assert desk["work"] == [], "the declined task is not offered to her again"
        assert not desk["worker"]["available"]
    async with app.state.runtime.sessions() as session:
        service = TaskRouterService(session, app.state.runtime)
        settings = (await service.routing(center.workspace_sid)).engine.settings
    assert settings.timeout_activity_sid is not None
    assert desk["worker"]["activity_sid"] == settings.timeout_activity_sid
    assert await task_status(app, center, task_sid) == "pending"


async def test_an_agent_cannot_touch_another_agents_work(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    await set_activity(app, center, "ana", "Disponível")
    task_sid = await create_task(app, center, QUOTE)
    async with browser("ana") as ana, browser("bruno") as bruno:
        offer = (await state(ana))["work"][0]
        stolen = await bruno.post(f"/api/desk/reservations/{offer['reservation_sid']}/accept")
        assert stolen.status_code == 404
        assert (
            await ana.post(f"/api/desk/reservations/{offer['reservation_sid']}/accept")
        ).status_code == 204
        for path, body in (
            (f"/api/desk/tasks/{task_sid}/wrapup", None),
            (f"/api/desk/tasks/{task_sid}/complete", {"disposition_code": "sem_interesse"}),
        ):
            assert (await bruno.post(path, json=body)).status_code == 404
        assert (await bruno.get(f"/api/desk/tasks/{task_sid}/customer")).status_code == 404
    assert await task_status(app, center, task_sid) == "assigned"


async def test_completing_needs_a_known_disposition(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("ana") as ana:
        await go(ana, center, "Disponível")
        task_sid = await create_task(app, center, QUOTE)
        offer = (await state(ana))["work"][0]
        await ana.post(f"/api/desk/reservations/{offer['reservation_sid']}/accept")
        refused = await ana.post(
            f"/api/desk/tasks/{task_sid}/complete", json={"disposition_code": "inventado"}
        )
        assert refused.status_code == 422
        assert "disposition_code" in refused.json()["detail"]
    assert await task_status(app, center, task_sid) == "assigned"


async def test_going_on_a_break_declines_the_ringing_offer(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("ana") as ana:
        await go(ana, center, "Disponível")
        await create_task(app, center, QUOTE)
        assert (await state(ana))["work"][0]["reservation_status"] == "pending"
        await go(ana, center, "Pausa")
        desk = await state(ana)
    assert desk["worker"]["activity_name"] == "Pausa" and desk["work"] == []


async def test_actions_without_the_csrf_token_are_refused(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("ana") as ana:
        del ana.headers["X-CSRF-Token"]
        response = await ana.post(
            "/api/desk/activity", json={"activity_sid": center.activities["Disponível"]}
        )
        assert response.status_code == 403
        ana.headers["X-CSRF-Token"] = "forged"
        assert (await state(ana))["worker"]["activity_name"] == "Offline"


async def test_the_customer_panel_shows_protocol_and_what_the_bot_collected(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("ana") as ana:
        await go(ana, center, "Disponível")
        attributes = {**QUOTE, "protocol": "20260105000042", "placa": "ABC1D23"}
        task_sid = await create_task(app, center, attributes)
        panel = await ana.get(f"/api/desk/tasks/{task_sid}/customer")
    body = panel.json()
    assert body["protocol"] == "20260105000042"
    assert body["contact"]["name"] == "Carlos Dias"
    assert body["collected"] == {"motivo": "cotacao_auto", "placa": "ABC1D23"}


async def test_the_crm_answer_the_flow_stored_reaches_the_customer_panel(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    """The default flow's `http_lookup` node stores the CRM's JSON answer as `crm`."""
    crm = {"cliente": "Carlos Dias", "apolices": ["AUTO-123"], "vip": True}
    async with browser("ana") as ana:
        await go(ana, center, "Disponível")
        task_sid = await create_task(app, center, {**QUOTE, "crm": crm})
        offer = (await state(ana))["work"][0]
        await ana.post(f"/api/desk/reservations/{offer['reservation_sid']}/accept")
        panel = await ana.get(f"/api/desk/tasks/{task_sid}/customer")
    assert panel.status_code == 200, panel.text
    body = panel.json()
    assert body["crm"] == crm
    assert "crm" not in body["collected"], "shown once, in its own section"
