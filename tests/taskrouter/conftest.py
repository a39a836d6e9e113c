"""Fixtures of the TaskRouter tests: an API account and a client authenticated as it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from atende.auth.service import AuthService
from atende.db.engine import create_engine, session_factory


@dataclass(frozen=True)
class Account:
    sid: str
    token: str


async def create_account(app: FastAPI, name: str = "test") -> Account:
    async with app.state.runtime.sessions() as session:
        created = await AuthService(session).create_account(name)
        await session.commit()
    return Account(created.account_sid, created.auth_token)


def make_account(database_url: str) -> Account:
    """An account for tests whose app runs elsewhere (a live server, a subprocess)."""

    async def create() -> Account:
        engine = create_engine(database_url)
        async with session_factory(engine)() as session:
            created = await AuthService(session).create_account("test")
            await session.commit()
        await engine.dispose()
        return Account(created.account_sid, created.auth_token)

    return asyncio.run(create())


@pytest.fixture
async def account(app: FastAPI) -> Account:
    return await create_account(app)


@pytest.fixture
async def tr(app: FastAPI, account: Account) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `/v1/…` authenticated with HTTP Basic as `account`."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", auth=(account.sid, account.token)
    ) as http:
        yield http
