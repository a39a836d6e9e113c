"""PostgreSQL restarted or a DBA killed the sessions: the pool's idle connections are dead, and
the next requests must still be answered (a pooled connection is checked for life on checkout)."""

from __future__ import annotations

import asyncio

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from tests.conftest import PG_URL
from tests.taskrouter.builders import build_center, ok


async def test_requests_after_every_connection_was_terminated_are_answered(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    engine = app.state.runtime.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    center = await build_center(tr)
    # Several requests at once, so the pool holds several connections.
    await asyncio.gather(*(center.worker(f"agent{index}") for index in range(6)))
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (engine.url.database,),
        ).fetchone()
    assert killed is not None and killed[0] >= 2
    await asyncio.sleep(0.2)  # the terminations reach the sockets

    tasks = await asyncio.gather(*(center.task(customer=index) for index in range(6)))

    assert {task["assignment_status"] for task in tasks} == {"reserved"}
    listed = await ok(await tr.get(f"{center.base}/Workers"))
    assert len(listed["workers"]) == 6
