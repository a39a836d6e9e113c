"""Pacing per business number: a burst goes at once, the rest at the configured rate; with
Redis, the nodes sending for one number share its budget."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis_asyncio

from atende.app import create_app
from atende.config import Settings
from atende.messaging.rate_limit import DEFAULT_RATE, RateLimiter, SharedRateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=80, clock=clock, sleep=clock.sleep)
    for _ in range(160):
        await limiter.acquire("meta:number-1")
    # 80 at once, then 80 more at 80 per second: one second of (fake) time.
    assert clock.now == pytest.approx(1.0)


async def test_numbers_do_not_share_a_budget() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=2, clock=clock, sleep=clock.sleep)
    for key in ("a", "a", "b", "b"):
        await limiter.acquire(key)
    assert clock.slept == []
    await limiter.acquire("a")
    assert clock.now == pytest.approx(0.5)


async def test_concurrent_callers_are_paced_together() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=10, burst=1, clock=clock, sleep=clock.sleep)
    await asyncio.gather(*(limiter.acquire("n") for _ in range(5)))
    assert clock.now == pytest.approx(0.4)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(rate=0)


# --- shared by the nodes through Redis ----------------------------------------------------

REDIS_URL = os.environ.get("ATENDE_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs ATENDE_TEST_REDIS_URL")


@pytest.fixture
async def nodes() -> AsyncIterator[tuple[Any, Any]]:
    """Two nodes' Redis clients (two connections, as two processes would hold)."""
    assert REDIS_URL is not None
    first, second = redis_asyncio.from_url(REDIS_URL), redis_asyncio.from_url(REDIS_URL)
    yield first, second
    await first.aclose()
    await second.aclose()


@needs_redis
async def test_two_nodes_sending_for_one_number_share_its_budget(nodes: tuple[Any, Any]) -> None:
    # One message every 100 s: what one node took, the other must wait for.
    first = SharedRateLimiter(nodes[0], rate=0.01, burst=3)
    second = SharedRateLimiter(nodes[1], rate=0.01, burst=3)
    number = f"meta:{secrets.token_hex(6)}"
    assert [await first.reserve(number) for _ in range(3)] == [0.0, 0.0, 0.0]
    waits = [await second.reserve(number), await first.reserve(number)]
    assert waits[0] == pytest.approx(100, abs=10)
    assert waits[1] == pytest.approx(200, abs=10)


@needs_redis
async def test_numbers_keep_their_own_shared_budget(nodes: tuple[Any, Any]) -> None:
    first = SharedRateLimiter(nodes[0], rate=0.01, burst=1)
    second = SharedRateLimiter(nodes[1], rate=0.01, burst=1)
    assert await first.reserve(f"meta:{secrets.token_hex(6)}") == 0.0
    assert await second.reserve(f"meta:{secrets.token_hex(6)}") == 0.0


@needs_redis
async def test_nodes_of_a_deployment_with_redis_share_the_budget(settings: Settings) -> None:
    """Through the app factory: each node's hub paces its numbers through Redis."""
    assert settings.redis_url is not None
    one, two = create_app(settings, migrate=False), create_app(settings, migrate=False)
    number = f"meta:{secrets.token_hex(6)}"
    limiters = [app.state.runtime.services["messaging"].limiter for app in (one, two)]
    try:
        assert all(isinstance(limiter, SharedRateLimiter) for limiter in limiters)
        # Five seconds of the number's budget taken by one node (80/s): the other node's next
        # message waits about four seconds, however slowly these calls ran.
        for _ in range(int(5 * DEFAULT_RATE)):
            await limiters[0].reserve(number)
        assert await limiters[1].reserve(number) > 1.0
    finally:
        for app in (one, two):
            await app.state.runtime.services["redis"].aclose()


def test_without_redis_each_node_paces_alone(settings: Settings) -> None:
    alone = dataclasses.replace(settings, redis_url=None)
    hub = create_app(alone, migrate=False).state.runtime.services["messaging"]
    assert isinstance(hub.limiter, RateLimiter)


async def test_an_unreachable_redis_does_not_stop_sending() -> None:
    clock = FakeClock()
    unreachable = redis_asyncio.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    limiter = SharedRateLimiter(unreachable, rate=1, burst=1, sleep=clock.sleep)
    try:
        limiter.local = RateLimiter(rate=1, burst=1, clock=clock, sleep=clock.sleep)
        await limiter.acquire("meta:n")
        await limiter.acquire("meta:n")
    finally:
        await unreachable.aclose()
    assert clock.now == pytest.approx(1.0)  # paced by the node's own bucket
