"""An approved requester without SSO gets a one-time link to set a password: it works once,
until it expires, and then the person signs in with that password."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from atende.auth.password_setup import SETUP_LIFETIME
from atende.ops.models import Notification
from tests.ops.conftest import FakeClock, ops_context

FORM = {
    "name": "Helena Souza",
    "email": "helena@corretora.example",
    "team": "Sinistros",
    "role_wanted": "agent",
    "reason": "Atender a fila de sinistros",
}
PASSWORD = "uma-senha-longa"
LINK = re.compile(r"http://testserver(/password/setup/\S+)")


@pytest.fixture(autouse=True)
def company_domain(ops_app: FastAPI) -> None:
    ops_context(ops_app).allowed_email_domains = ("corretora.example",)


async def approve(ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]) -> str:
    """Request and approve access; returns the approval e-mail's body."""
    assert (await http.post("/access", data=FORM)).status_code == 201
    [pending] = (await http.get("/api/access-requests?status=pending", headers=admin)).json()
    approved = await http.post(f"/api/access-requests/{pending['id']}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    async with ops_app.state.runtime.sessions() as session:
        mail = (await session.execute(select(Notification))).scalar_one()
    return mail.body


def link_in(body: str) -> str:
    found = LINK.search(body)
    assert found is not None, body
    return found.group(1)


async def sign_in(http: httpx.AsyncClient, password: str) -> httpx.Response:
    return await http.post(
        "/login", data={"email": FORM["email"], "password": password}, follow_redirects=False
    )


async def test_the_link_sets_a_password_once_and_the_person_signs_in(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = await approve(ops_app, http, admin)
    assert "crie a sua senha neste link (vale uma vez, até 19/11/2026 10:00)" in body
    path = link_in(body)

    form = await http.get(path)
    assert form.status_code == 200
    assert "Crie sua senha" in form.text and FORM["email"] in form.text
    assert (await sign_in(http, PASSWORD)).headers.get("location", "").startswith("/login")

    short = await http.post(path, data={"password": "curta", "confirmation": "curta"})
    assert short.status_code == 422
    assert "pelo menos 10 caracteres" in short.text
    differ = await http.post(path, data={"password": PASSWORD, "confirmation": PASSWORD + "x"})
    assert "As duas senhas não são iguais." in differ.text

    done = await http.post(path, data={"password": PASSWORD, "confirmation": PASSWORD})
    assert done.status_code == 200
    assert "Senha criada. Você já pode entrar." in done.text
    signed_in = await sign_in(http, PASSWORD)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/agent"

    reused = await http.post(
        path, data={"password": "outra-senha-x", "confirmation": "outra-senha-x"}
    )
    assert reused.status_code == 410
    assert "já foi usado" in reused.text


async def test_an_expired_link_is_refused(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], clock: FakeClock
) -> None:
    path = link_in(await approve(ops_app, http, admin))
    clock.now += SETUP_LIFETIME + timedelta(minutes=1)
    page = await http.get(path)
    assert page.status_code == 410
    assert "Este link expirou." in page.text
    posted = await http.post(path, data={"password": PASSWORD, "confirmation": PASSWORD})
    assert posted.status_code == 410
    assert (await sign_in(http, PASSWORD)).headers.get("location", "").startswith("/login")


async def test_an_unknown_link_is_refused(http: httpx.AsyncClient) -> None:
    page = await http.get("/password/setup/not-a-real-token")
    assert page.status_code == 410
    assert "não é válido" in page.text


async def test_with_sso_the_e_mail_points_to_the_company_sign_in(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    ops_app.state.runtime.services["oidc"] = object()
    body = await approve(ops_app, http, admin)
    assert "Entre em http://testserver/login com a sua conta da empresa." in body
    assert LINK.search(body) is None
