"""Access requests: company domains only, an admin decides, the account follows, all audited."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from atende.auth.models import User
from atende.ops.models import Notification
from atende.ops.repository import OpsRepository
from tests.ops.conftest import ops_context

FORM = {
    "name": "Helena Souza",
    "email": "Helena@Corretora.example",
    "team": "Sinistros",
    "role_wanted": "supervisor",
    "reason": "Acompanhar a fila de sinistros",
}


@pytest.fixture(autouse=True)
def company_domain(ops_app: FastAPI) -> None:
    context = ops_context(ops_app)
    context.allowed_email_domains = ("corretora.example",)


async def test_form_is_public_and_in_portuguese(http: httpx.AsyncClient) -> None:
    page = await http.get("/access")
    assert page.status_code == 200
    assert "Pedir acesso ao Atende" in page.text
    assert "corretora.example" in page.text


async def test_other_domains_are_refused_and_the_form_is_kept(http: httpx.AsyncClient) -> None:
    page = await http.post("/access", data={**FORM, "email": "helena@gmail.com"})
    assert page.status_code == 422
    assert "Use o e-mail da empresa (corretora.example)." in page.text
    assert 'value="Helena Souza"' in page.text


async def test_approval_creates_the_account_and_tells_the_requester(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    sent = await http.post("/access", data=FORM)
    assert sent.status_code == 201
    assert "Pedido recebido" in sent.text
    twice = await http.post("/access", data=FORM)
    assert "Já existe um pedido em análise" in twice.text

    pending = (await http.get("/api/access-requests?status=pending", headers=admin)).json()
    assert [(r["email"], r["role_wanted"]) for r in pending] == [
        ("helena@corretora.example", "supervisor")
    ]
    request_id = pending[0]["id"]
    approved = await http.post(
        f"/api/access-requests/{request_id}/approve", json={"role": "agent"}, headers=admin
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "carla"

    async with ops_app.state.runtime.sessions() as session:
        user = (
            await session.execute(select(User).where(User.email == "helena@corretora.example"))
        ).scalar_one()
        mail = (await session.execute(select(Notification))).scalar_one()
        audit = await OpsRepository(session).audit(f"access_request:{request_id}")
    assert (user.role, user.display_name) == ("agent", "Helena Souza")
    assert approved.json()["user_id"] == user.id
    assert mail.recipient == "helena@corretora.example"
    assert "perfil Agente" in mail.body
    assert [(row.action, row.actor) for row in audit] == [
        ("requested", "helena@corretora.example"),
        ("approved", "carla"),
        ("notified", "atende"),
    ]
    again = await http.post(f"/api/access-requests/{request_id}/approve", headers=admin)
    assert again.status_code == 409
    existing = await http.post("/access", data=FORM)
    assert "já tem acesso" in existing.text


async def test_denial_and_permissions(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], supervisor: dict[str, str]
) -> None:
    await http.post("/access", data=FORM)
    request_id = (await http.get("/api/access-requests", headers=admin)).json()[0]["id"]
    forbidden = await http.post(f"/api/access-requests/{request_id}/approve", headers=supervisor)
    assert forbidden.status_code == 403
    denied = await http.post(
        f"/api/access-requests/{request_id}/deny",
        json={"note": "Use o perfil do coordenador"},
        headers=admin,
    )
    assert denied.json()["status"] == "denied"
    assert denied.json()["decision_note"] == "Use o perfil do coordenador"
    async with ops_app.state.runtime.sessions() as session:
        users = (await session.execute(select(User))).scalars().all()
    assert users == []


async def test_approval_rechecks_the_domain(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await http.post("/access", data=FORM)
    request_id = (await http.get("/api/access-requests", headers=admin)).json()[0]["id"]
    context = ops_context(ops_app)
    context.allowed_email_domains = ("outra.example",)
    refused = await http.post(f"/api/access-requests/{request_id}/approve", headers=admin)
    assert refused.status_code == 409
