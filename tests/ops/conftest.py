"""An app whose background loops are off and whose clock the test sets, so escalation and
delivery run exactly when a test calls them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from atende.app import create_app
from atende.auth.models import Role
from atende.config import Settings
from atende.ops.context import SERVICE_KEY, OpsContext
from tests.conftest import make_token

SP = ZoneInfo("America/Sao_Paulo")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SP)


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, text: str) -> None:
        self.now = local(text)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local("2026-11-16 10:00"))  # a Monday


@pytest.fixture
async def ops_app(settings: Settings, clock: FakeClock) -> AsyncIterator[FastAPI]:
    quiet = Settings.from_env({}, **{**settings.__dict__, "run_background": False})
    application = create_app(quiet, migrate=False)
    context: OpsContext = application.state.runtime.services[SERVICE_KEY]
    context.clock = clock
    async with application.router.lifespan_context(application):
        yield application


def ops_context(app: FastAPI) -> OpsContext:
    context: OpsContext = app.state.runtime.services[SERVICE_KEY]
    return context


@pytest.fixture
async def http(ops_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=ops_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def supervisor(ops_app: FastAPI) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_token(ops_app, Role.SUPERVISOR, 'ana')}"}


@pytest.fixture
async def agent(ops_app: FastAPI) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_token(ops_app, Role.AGENT, 'bruno')}"}


@pytest.fixture
async def admin(ops_app: FastAPI) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_token(ops_app, Role.ADMIN, 'carla')}"}
