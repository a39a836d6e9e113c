"""Pacing per business number: a burst goes at once, the rest at the configured rate."""

from __future__ import annotations

import asyncio

import pytest

from atende.messaging.rate_limit import RateLimiter


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
