"""Events cross nodes through Redis, and only between the nodes of one installation: two
installations given their own databases of one Redis server do not see each other's events
(Redis's publish/subscribe ignores the database number)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis_asyncio
from sqlalchemy.engine import make_url

from atende.events.bus import EventBus, StreamEvent, Subscription

REDIS_URL = os.environ.get("ATENDE_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs ATENDE_TEST_REDIS_URL")


def _url_with_database(database: int) -> str:
    assert REDIS_URL is not None
    return make_url(REDIS_URL).set(database=str(database)).render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def node(database: int) -> AsyncIterator[tuple[EventBus, list[StreamEvent]]]:
    """A node's bus relaying from Redis database `database`, and what its streams receive."""
    client = redis_asyncio.from_url(_url_with_database(database))
    bus = EventBus(client)
    received: list[StreamEvent] = []
    subscription = bus.subscribe(lambda _event: True)
    relay = asyncio.create_task(bus.relay_from_redis())
    collect = asyncio.create_task(_collect(subscription, received))
    await asyncio.sleep(0.2)  # subscribed
    try:
        yield bus, received
    finally:
        relay.cancel()
        collect.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
        with contextlib.suppress(asyncio.CancelledError):
            await collect
        await client.aclose()


def about(received: list[StreamEvent], workspace: str) -> list[StreamEvent]:
    return [event for event in received if event.get("workspace_sid") == workspace]


async def _collect(subscription: Subscription, received: list[StreamEvent]) -> None:
    async for event in subscription:
        received.append(event)


async def test_events_reach_the_nodes_of_the_same_redis_database_only() -> None:
    # A workspace of its own: other test runs on this Redis may publish meanwhile.
    workspace = "WS" + secrets.token_hex(16)
    event: StreamEvent = {"seq": 1, "workspace_sid": workspace, "event_type": "x"}
    async with (
        node(11) as (ours, ours_heard),
        node(11) as (_peer, peer_heard),
        node(12) as (_other, other_heard),
    ):
        ours.publish([event])
        for _ in range(50):
            if about(ours_heard, workspace) and about(peer_heard, workspace):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # time enough for a stray delivery to arrive

    assert about(ours_heard, workspace) == [event]
    assert about(peer_heard, workspace) == [event], "another node of the same installation hears it"
    assert about(other_heard, workspace) == [], (
        "another installation, on another database, does not"
    )
