"""Administration as an administrator uses it: a new agent with skills can sign in and is
routed by them, queues get a service-level goal, a workflow is checked before it is saved,
wrap-up codes and holidays; and nobody else may do any of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import FastAPI

from atende.demo.company import workflow_configuration
from tests.desk.conftest import Browser
from tests.desk.contact_center import PASSWORD, ContactCenter

OpenBrowser = Callable[..., AbstractAsyncContextManager[Browser]]
NEW_AGENT = {
    "email": "diego@corretora.com.br",
    "display_name": "Diego Rocha",
    "role": "agent",
    "password": "outra-senha-forte",
    "team": "Vendas",
    "skills": ["auto"],
    "languages": ["pt", "es"],
}


async def users(admin: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await admin.get("/api/desk/admin/users")).json()
    return body


async def test_a_new_agent_gets_a_worker_with_skills_and_can_sign_in(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        created = await admin.post("/api/desk/admin/users", json=NEW_AGENT)
        assert created.status_code == 201, created.text
        diego = next(u for u in (await users(admin))["users"] if u["email"] == NEW_AGENT["email"])
        assert (diego["team"], diego["skills"], diego["languages"]) == (
            "Vendas",
            ["auto"],
            ["pt", "es"],
        )
        queues = (await admin.get("/api/desk/admin/queues")).json()["queues"]
        assert diego["worker_sid"] is not None and queues
        changed = await admin.patch(
            f"/api/desk/admin/users/{diego['id']}", json={"skills": ["auto", "vida"]}
        )
        assert changed.status_code == 204
        again = next(u for u in (await users(admin))["users"] if u["id"] == diego["id"])
        assert again["skills"] == ["auto", "vida"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        signed = await client.post(
            "/login", data={"email": NEW_AGENT["email"], "password": NEW_AGENT["password"]}
        )
        assert signed.headers["location"] == "/agent"
        desk = (await client.get("/api/desk/agent")).json()
        assert desk["worker"]["name"] == "Diego Rocha"
        capacities = {c["channel"]: c["capacity"] for c in desk["worker"]["capacity"]}
        assert capacities["whatsapp"] == 3 and capacities["voice"] == 1


async def test_a_deactivated_user_is_signed_out_and_kept_out(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin, browser("bruno") as bruno:
        bruno_id = next(
            u["id"] for u in (await users(admin))["users"] if u["email"].startswith("bruno@")
        )
        response = await admin.patch(f"/api/desk/admin/users/{bruno_id}", json={"active": False})
        assert response.status_code == 204
        assert (await bruno.get("/api/desk/agent")).status_code == 401
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        refused = await client.post(
            "/login", data={"email": center.email("bruno"), "password": PASSWORD}
        )
        assert "error=invalid" in refused.headers["location"]


async def test_queues_carry_a_service_level_goal(
    center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        bad = await admin.post(
            "/api/desk/admin/queues", json={"name": "Frota", "target_workers": "skills HAS"}
        )
        assert bad.status_code == 400 and "TargetWorkers" in bad.json()["detail"]
        made = await admin.post(
            "/api/desk/admin/queues",
            json={
                "name": "Frota",
                "target_workers": "skills HAS 'frota'",
                "service_level_threshold": 30,
                "service_level_target": 90,
            },
        )
        assert made.status_code == 201, made.text
        queues = (await admin.get("/api/desk/admin/queues")).json()["queues"]
        frota = next(q for q in queues if q["name"] == "Frota")
        assert (frota["service_level_threshold"], frota["service_level_target"]) == (30, 90)
        await admin.patch(
            f"/api/desk/admin/queues/{center.queues['auto']}", json={"service_level_target": 70}
        )
        overview = (await admin.get("/api/desk/supervisor")).json()
    auto = next(q for q in overview["queues"] if q["name"] == "Vendas Auto")
    assert (auto["service_level_threshold"], auto["service_level_target"]) == (20, 70)


async def test_a_workflow_is_dry_run_and_refused_when_broken(
    center: ContactCenter, browser: OpenBrowser
) -> None:
    configuration = workflow_configuration(center.queues)
    async with browser("admin", "/admin") as admin:
        verdict = await admin.post(
            "/api/desk/admin/workflows/dry-run",
            json={"configuration": configuration, "task_attributes": {"motivo": "cotacao_vida"}},
        )
        steps = [step["queue_name"] for step in verdict.json()["steps"]]
        assert steps == ["Todos os agentes", "Vendas Vida", "Relacionamento"]
        broken = json.loads(configuration)
        broken["task_routing"]["filters"][0]["expression"] = "motivo =="
        refused = await admin.patch(
            f"/api/desk/admin/workflows/{center.workflow_sid}",
            json={"configuration": json.dumps(broken)},
        )
        assert refused.status_code == 422
        assert "task_routing.filters[0].expression" in refused.json()["detail"]
        listed = (await admin.get("/api/desk/admin/workflows")).json()["workflows"]
    assert json.loads(listed[0]["configuration"]) == json.loads(configuration)


async def test_dispositions_are_configurable(center: ContactCenter, browser: OpenBrowser) -> None:
    async with browser("admin", "/admin") as admin, browser("ana") as ana:
        added = await admin.post("/api/desk/admin/dispositions", json={"label": "Apólice emitida"})
        assert added.status_code == 201 and added.json()["code"] == "apolice_emitida"
        duplicate = await admin.post(
            "/api/desk/admin/dispositions", json={"label": "Apólice emitida"}
        )
        assert duplicate.status_code == 409
        retired = next(
            d
            for d in (await admin.get("/api/desk/admin/dispositions")).json()
            if d["code"] == "sem_interesse"
        )
        await admin.patch(f"/api/desk/admin/dispositions/{retired['id']}", json={"active": False})
        offered = [d["label"] for d in (await ana.get("/api/desk/agent")).json()["dispositions"]]
    assert "Apólice emitida" in offered and "Sem interesse" not in offered


async def test_holidays_of_sao_paulo_are_listed(
    center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        holidays = (await admin.get("/api/desk/admin/holidays?year=2026")).json()
    days = {holiday["day"]: holiday["name"] for holiday in holidays}
    assert "2026-01-25" in days and "2026-11-20" in days and "2026-12-25" in days


async def test_only_administrators_administer(center: ContactCenter, browser: OpenBrowser) -> None:
    async with browser("supervisora", "/supervisor") as supervisor:
        for method, path in (
            ("GET", "/api/desk/admin/users"),
            ("POST", "/api/desk/admin/dispositions"),
            ("GET", "/api/desk/admin/workflows"),
        ):
            response = await supervisor.request(method, path, json={"label": "x"})
            assert response.status_code == 403, path
