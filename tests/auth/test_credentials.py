"""Credentials: tokens, sessions, lock-out and role checks as users experience them."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from atende.auth.models import Role
from atende.auth.service import MAX_FAILED_LOGINS, AuthError, AuthService
from atende.config import Settings


async def test_account_credentials_check_the_token(app: FastAPI) -> None:
    async with app.state.runtime.sessions() as session:
        auth = AuthService(session)
        created = await auth.create_account("crm")
        await session.commit()
        assert created.account_sid.startswith("AC") and len(created.account_sid) == 34
        assert await auth.check_account(created.account_sid, created.auth_token) is not None
        assert await auth.check_account(created.account_sid, "wrong") is None


async def test_bearer_token_resolves_to_its_role(app: FastAPI) -> None:
    async with app.state.runtime.sessions() as session:
        auth = AuthService(session)
        token = await auth.create_token("reports", Role.SUPERVISOR)
        await session.commit()
        principal = await auth.principal_for_token(token)
        assert principal is not None and principal.role is Role.SUPERVISOR
        assert await auth.principal_for_token(token + "x") is None


async def test_sign_in_locks_after_repeated_failures(app: FastAPI) -> None:
    async with app.state.runtime.sessions() as session:
        auth = AuthService(session)
        await auth.create_user("ana@corretora.com.br", Role.AGENT, password="s3nha-forte")
        for _ in range(MAX_FAILED_LOGINS):
            with pytest.raises(AuthError, match="incorretos"):
                await auth.sign_in("ana@corretora.com.br", "errada")
        with pytest.raises(AuthError, match="tentativas"):
            await auth.sign_in("ana@corretora.com.br", "s3nha-forte")


async def test_sign_out_everywhere_ends_every_session(app: FastAPI) -> None:
    async with app.state.runtime.sessions() as session:
        auth = AuthService(session)
        user = await auth.create_user("bia@corretora.com.br", Role.SUPERVISOR, password="x" * 12)
        _, first = await auth.sign_in("bia@corretora.com.br", "x" * 12)
        _, second = await auth.sign_in("bia@corretora.com.br", "x" * 12)
        assert await auth.principal_for_session(first) is not None
        await auth.sign_out_everywhere(user.id)
        assert await auth.principal_for_session(first) is None
        assert await auth.principal_for_session(second) is None


async def test_duplicate_user_is_refused(app: FastAPI) -> None:
    async with app.state.runtime.sessions() as session:
        auth = AuthService(session)
        await auth.create_user("caio@corretora.com.br", Role.ADMIN)
        with pytest.raises(AuthError, match="already exists"):
            await auth.create_user("CAIO@corretora.com.br", Role.ADMIN)


def test_allowed_domains_restrict_emails() -> None:
    settings = Settings.from_env({"ATENDE_ALLOWED_EMAIL_DOMAINS": "corretora.com.br, x.com"})
    assert settings.email_allowed("Ana@Corretora.com.br")
    assert not settings.email_allowed("ana@gmail.com")
    assert Settings.from_env({}).email_allowed("anyone@anywhere.org")
