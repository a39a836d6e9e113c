"""Signing in and out as people experience it: the redirects, the messages, the lock-out, the
allowed domains, sign-out everywhere and who may open which page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from atende.app import create_app
from atende.auth.models import Role
from atende.auth.service import MAX_FAILED_LOGINS, AuthService
from atende.config import Settings
from atende.deps import SESSION_COOKIE

PASSWORD = "senha-bem-forte"
WORKER = "WK" + "1" * 32


async def add_user(
    app: FastAPI, email: str, role: Role, worker_sid: str | None = None, language: str = "pt-BR"
) -> None:
    async with app.state.runtime.sessions() as session:
        user = await AuthService(session).create_user(
            email, role, password=PASSWORD, worker_sid=worker_sid, display_name=email.split("@")[0]
        )
        user.language = language
        await session.commit()


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/login", data={"email": email, "password": password})


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page carries no CSRF token"
    return match.group(1)


async def test_agent_signs_in_and_lands_on_the_desk(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await add_user(app, "ana@corretora.com.br", Role.AGENT, worker_sid=WORKER)
    response = await sign_in(client, "ana@corretora.com.br")
    assert response.status_code == 303
    assert response.headers["location"] == "/agent"
    cookie = response.headers["set-cookie"].lower()
    assert SESSION_COOKIE in cookie and "httponly" in cookie and "samesite=lax" in cookie
    page = await client.get("/agent")
    assert page.status_code == 200
    assert "Meus atendimentos" in page.text


async def test_wrong_password_is_told_in_portuguese(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await add_user(app, "ana@corretora.com.br", Role.AGENT)
    response = await sign_in(client, "ana@corretora.com.br", "errada")
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "E-mail ou senha incorretos." in page.text
    assert 'value="ana@corretora.com.br"' in page.text


async def test_repeated_failures_lock_the_login(app: FastAPI, client: httpx.AsyncClient) -> None:
    await add_user(app, "ana@corretora.com.br", Role.AGENT)
    for _ in range(MAX_FAILED_LOGINS):
        await sign_in(client, "ana@corretora.com.br", "errada")
    response = await sign_in(client, "ana@corretora.com.br")
    assert "error=locked" in response.headers["location"]
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


@pytest.fixture
async def company_only_client(
    settings: Settings,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    restricted = Settings.from_env(
        {}, **{**settings.__dict__, "allowed_email_domains": ("corretora.com.br",)}
    )
    application = create_app(restricted, migrate=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield application, http


async def test_only_allowed_domains_may_sign_in(
    company_only_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = company_only_client
    await add_user(app, "intruso@gmail.com", Role.ADMIN)
    await add_user(app, "bia@corretora.com.br", Role.SUPERVISOR)
    refused = await sign_in(client, "intruso@gmail.com")
    assert "error=domain" in refused.headers["location"]
    page = await client.get(refused.headers["location"])
    assert "não pertence a um domínio autorizado" in page.text
    allowed = await sign_in(client, "bia@corretora.com.br")
    assert allowed.headers["location"] == "/supervisor"


async def test_each_page_checks_the_role(app: FastAPI, client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/supervisor")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fsupervisor"
    await add_user(app, "ana@corretora.com.br", Role.AGENT, worker_sid=WORKER)
    await sign_in(client, "ana@corretora.com.br")
    for path in ("/supervisor", "/admin"):
        refused = await client.get(path)
        assert refused.status_code == 403
        assert "Acesso não permitido" in refused.text


async def test_the_agent_desk_needs_a_worker(app: FastAPI, client: httpx.AsyncClient) -> None:
    await add_user(app, "bia@corretora.com.br", Role.SUPERVISOR)
    await sign_in(client, "bia@corretora.com.br")
    refused = await client.get("/agent")
    assert refused.status_code == 403
    assert "não está ligado a um agente" in refused.text


async def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await add_user(app, "caio@corretora.com.br", Role.ADMIN)
    back = await client.post(
        "/login", data={"email": "caio@corretora.com.br", "password": PASSWORD, "next": "/admin"}
    )
    assert back.headers["location"] == "/admin"
    client.cookies.clear()
    off_site = await client.post(
        "/login",
        data={"email": "caio@corretora.com.br", "password": PASSWORD, "next": "//evil.example"},
    )
    assert off_site.headers["location"] == "/admin"


async def test_sign_in_form_posted_from_another_site_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await add_user(app, "ana@corretora.com.br", Role.AGENT)
    response = await client.post(
        "/login",
        data={"email": "ana@corretora.com.br", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


async def test_sign_out_needs_the_csrf_token_and_ends_the_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await add_user(app, "bia@corretora.com.br", Role.SUPERVISOR)
    await sign_in(client, "bia@corretora.com.br")
    page = await client.get("/supervisor")
    forged = await client.post("/logout")
    assert forged.status_code == 403
    assert (await client.get("/supervisor")).status_code == 200
    response = await client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.headers["location"] == "/login?signed_out=1"
    assert (await client.get("/supervisor")).status_code == 303


async def test_sign_out_everywhere_ends_the_other_browsers_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await add_user(app, "bia@corretora.com.br", Role.SUPERVISOR)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as laptop:
        await sign_in(laptop, "bia@corretora.com.br")
        await sign_in(client, "bia@corretora.com.br")
        page = await client.get("/supervisor")
        await client.post("/logout/everywhere", data={"csrf_token": csrf_of(page.text)})
        assert (await laptop.get("/supervisor")).status_code == 303


async def test_english_is_selectable_and_remembered_for_the_user(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await add_user(app, "bia@corretora.com.br", Role.SUPERVISOR)
    await sign_in(client, "bia@corretora.com.br")
    page = await client.get("/supervisor")
    assert 'lang="pt-BR"' in page.text and "Filas em tempo real" in page.text
    chosen = await client.post(
        "/language",
        data={"lang": "en", "next": "/supervisor", "csrf_token": csrf_of(page.text)},
    )
    assert chosen.headers["location"] == "/supervisor"
    english = await client.get("/supervisor")
    assert 'lang="en"' in english.text and "Live queues" in english.text
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        await sign_in(other, "bia@corretora.com.br")
        assert "Live queues" in (await other.get("/supervisor")).text


async def test_pages_refuse_inline_scripts_and_framing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    page = await client.get("/login")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "<script>" not in page.text
