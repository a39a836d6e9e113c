"""Several nodes on one PostgreSQL database behave as one TaskRouter: a node that last saw a
workspace before another node changed it routes with the change, and timers fire once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from atende.app import create_app
from atende.config import Settings
from atende.events.models import Event
from tests.support.waiting import eventually
from tests.taskrouter.builders import build_center, ok
from tests.taskrouter.conftest import Account


@pytest.fixture
async def node_b(settings: Settings, account: Account) -> AsyncIterator[httpx.AsyncClient]:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("several nodes share PostgreSQL; SQLite is single-node")
    node = create_app(settings, migrate=False)
    async with node.router.lifespan_context(node):
        transport = httpx.ASGITransport(app=node)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://node-b", auth=(account.sid, account.token)
        ) as http:
            yield http


async def test_a_node_routes_to_a_worker_another_node_added(
    tr: httpx.AsyncClient, node_b: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    # Node B loads the workspace while it has no worker at all.
    assert (await ok(await node_b.get(f"{center.base}/Workers")))["workers"] == []
    worker = await center.worker("ana")  # created on node A

    created = await ok(
        await node_b.post(
            f"{center.base}/Tasks", data={"WorkflowSid": center.workflow, "Attributes": "{}"}
        ),
        201,
    )

    assert created["assignment_status"] == "reserved"
    reservations = await center.reservations(created["sid"])
    assert [r["worker_sid"] for r in reservations] == [worker]
    # And node A, in turn, sees what node B did.
    reservation = reservations[0]["sid"]
    accepted = await tr.post(
        f"{center.base}/Tasks/{created['sid']}/Reservations/{reservation}",
        data={"ReservationStatus": "accepted"},
    )
    assert (await ok(accepted))["reservation_status"] == "accepted"


async def test_a_reservation_timeout_fires_once_whichever_node_created_it(
    app: FastAPI, tr: httpx.AsyncClient, node_b: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    workflow = await center.workflow_with(FriendlyName="Rápido", TaskReservationTimeout="1")
    task = await ok(
        await node_b.post(
            f"{center.base}/Tasks", data={"WorkflowSid": workflow, "Attributes": "{}"}
        ),
        201,
    )

    async def timeouts() -> int:
        async with app.state.runtime.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.task_sid == task["sid"], Event.event_type == "reservation.timeout")
            )
        return int(count or 0)

    assert await eventually(timeouts, lambda count: count >= 1, timeout=15) == 1
    # Both nodes' timer loops ran meanwhile; only the lease holder fired it.
    assert await eventually(timeouts, lambda count: count > 1, timeout=3) == 1
