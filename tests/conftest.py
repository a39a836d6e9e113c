"""Shared fixtures: every database-backed test runs on SQLite and, when
ATENDE_TEST_DATABASE_URL is set, on PostgreSQL too; apps run with their real lifespan."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from atende.app import create_app
from atende.auth.models import Role
from atende.auth.secrets import configure_password_hashing
from atende.auth.service import AuthService
from atende.config import Settings
from atende.db.migrate import upgrade
from atende.db.models import metadata

T = TypeVar("T")

# Hundreds of users are created across the suite; argon2 stays real, only cheaper.
configure_password_hashing(time_cost=1, memory_cost_kib=1024)

PG_URL = os.environ.get("ATENDE_TEST_DATABASE_URL", "").strip()
DATABASES = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy, which is much faster than migrating again."""
    path = tmp_path_factory.mktemp("template") / "atende.db"
    upgrade(f"sqlite:///{path}")
    return path


def _pg_admin_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of our own on the given server, migrated once and dropped at the end."""
    admin_url = _pg_admin_url(PG_URL)
    name = f"atende_test_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        )
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _truncate_postgres(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "atende.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.from_env(
        {},
        database_url=database_url,
        public_url="http://testserver",
        secret_key="test-secret-key",
        redis_url=os.environ.get("ATENDE_TEST_REDIS_URL") or None,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, migrate=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def make_token(app: FastAPI, role: Role, name: str | None = None) -> str:
    async with app.state.runtime.sessions() as session:
        token = await AuthService(session).create_token(name or f"test-{role.value}", role)
        await session.commit()
    return token


@pytest.fixture
async def admin_headers(app: FastAPI) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_token(app, Role.ADMIN)}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A real uvicorn server in a thread, for clients that need a socket (twilio, websockets)."""

    url: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread
    loop: asyncio.AbstractEventLoop

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's own loop (its bus and engines live there)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def call_soon(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Start a coroutine on the server's loop without waiting for it."""
        asyncio.run_coroutine_threadsafe(coroutine, self.loop)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    application = create_app(
        Settings.from_env({}, **{**settings.__dict__, "public_url": url}), migrate=False
    )
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=lambda: loop.run_until_complete(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.02)
    yield LiveServer(url=url, app=application, server=server, thread=thread, loop=loop)
    server.should_exit = True
    thread.join(timeout=10)
    loop.close()
