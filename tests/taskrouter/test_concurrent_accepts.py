"""Accepting a reservation happens exactly once, however many requests race for it: within a
node (the workspace lock) and across two nodes sharing the database (the guarded UPDATE)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from atende.app import create_app
from atende.config import Settings
from atende.events.models import Event
from tests.taskrouter.builders import build_center, ok
from tests.taskrouter.conftest import Account

RACERS = 8


async def _accepted_events(app: FastAPI, reservation_sid: str) -> int:
    async with app.state.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.reservation_sid == reservation_sid)
            .where(Event.event_type == "reservation.accepted")
        )
    return int(count or 0)


async def test_one_of_many_concurrent_accepts_wins(app: FastAPI, tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    task = await center.task()
    reservation = (await center.reservations(task["sid"]))[0]["sid"]
    url = f"{center.base}/Tasks/{task['sid']}/Reservations/{reservation}"

    responses = await asyncio.gather(
        *(tr.post(url, data={"ReservationStatus": "accepted"}) for _ in range(RACERS))
    )

    assert Counter(r.status_code for r in responses) == {200: 1, 409: RACERS - 1}
    assert await _accepted_events(app, reservation) == 1
    fetched = await ok(await tr.get(f"{center.base}/Tasks/{task['sid']}"))
    assert fetched["assignment_status"] == "assigned"


@pytest.fixture
async def second_node(settings: Settings, account: Account) -> AsyncIterator[httpx.AsyncClient]:
    """Another app on the same database: its own engines, as a second server would have."""
    node = create_app(settings, migrate=False)
    async with node.router.lifespan_context(node):
        transport = httpx.ASGITransport(app=node)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://node-b", auth=(account.sid, account.token)
        ) as http:
            yield http


async def test_two_nodes_racing_for_one_reservation(
    app: FastAPI, tr: httpx.AsyncClient, second_node: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    task = await center.task()
    reservation = (await center.reservations(task["sid"]))[0]["sid"]
    url = f"{center.base}/Tasks/{task['sid']}/Reservations/{reservation}"
    # The second node loads the workspace (with the pending reservation) before the race.
    assert (await ok(await second_node.get(url)))["reservation_status"] == "pending"

    responses = await asyncio.gather(
        tr.post(url, data={"ReservationStatus": "accepted"}),
        second_node.post(url, data={"ReservationStatus": "accepted"}),
    )

    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    assert await _accepted_events(app, reservation) == 1
    # The loser dropped what it had computed and reloaded: both nodes now agree.
    for node in (tr, second_node):
        assert (await ok(await node.get(url)))["reservation_status"] == "accepted"
        task_now = await ok(await node.get(f"{center.base}/Tasks/{task['sid']}"))
        assert task_now["assignment_status"] == "assigned"
    wrapped = await second_node.post(
        f"{center.base}/Tasks/{task['sid']}", data={"AssignmentStatus": "wrapping"}
    )
    assert wrapped.status_code == 200, wrapped.text
