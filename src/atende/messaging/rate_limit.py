"""Pacing per sending number: Meta allows 80 messages a second per business number by default,
and sending faster only earns throttling errors (130429) and retries.

With Redis configured (`ATENDE_REDIS_URL`, as when several nodes run) the budget is shared by
every node: each send reserves the next free slot of its number in Redis, so two nodes sending
for one number together stay within its rate. Without Redis, or while Redis does not answer,
each node keeps its own bucket (the rate is then per node)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_RATE = 80.0
# Floating-point slack: a bucket this close to a whole token has one (else waits could shrink
# below the clock's resolution and never end).
EPSILON = 1e-9
REDIS_PREFIX = "atende:sendrate:"
MICROSECONDS = 1_000_000

log = logging.getLogger(__name__)

# Generic cell rate algorithm with reservation, on Redis' own clock (nodes' clocks may
# differ): the key holds the theoretical arrival time (µs) of the number's next message.
# A caller takes the next slot and is told how long to wait for it; `burst` slots may be
# taken at once after a quiet spell. The key expires once the number is idle.
RESERVE = """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local after = tat + interval
redis.call('SET', KEYS[1], string.format('%d', after), 'PX', math.ceil((after - now) / 1000) + 1000)
return wait
"""


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """This node's token buckets, one per number."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else rate
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, _Bucket] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _refill(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.setdefault(key, _Bucket(self.burst, now))
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        return bucket

    def delay(self, key: str) -> float:
        """Seconds until one message may go on `key` (0 if now)."""
        bucket = self._refill(key)
        return 0.0 if bucket.tokens >= 1 - EPSILON else (1 - bucket.tokens) / self.rate

    async def acquire(self, key: str) -> None:
        """Wait for a token; callers for one number queue fairly behind each other."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            wait = self.delay(key)
            while wait > 0:
                await self._sleep(wait)
                wait = self.delay(key)
            self._buckets[key].tokens -= 1


class SharedRateLimiter:
    """The budget of each number kept in Redis, shared by every node that sends for it."""

    def __init__(
        self,
        redis: Any,
        rate: float = DEFAULT_RATE,
        burst: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else rate
        self.interval = math.ceil(MICROSECONDS / rate)
        self.tolerance = math.floor((max(self.burst, 1) - 1) * MICROSECONDS / rate)
        self._script = redis.register_script(RESERVE)
        self._sleep = sleep
        self.local = RateLimiter(rate, burst, sleep=sleep)

    async def reserve(self, key: str) -> float:
        """Takes the next slot of `key` for one message; seconds until it comes (0 if now)."""
        waited = await self._script(keys=[REDIS_PREFIX + key], args=[self.interval, self.tolerance])
        return int(waited) / MICROSECONDS

    async def acquire(self, key: str) -> None:
        try:
            wait = await self.reserve(key)
        except Exception as error:  # Redis down: keep sending, paced by this node alone
            log.warning("send rate of %s kept on this node only: %s", key, error)
            await self.local.acquire(key)
            return
        if wait > 0:
            await self._sleep(wait)


Limiter = RateLimiter | SharedRateLimiter


def limiter_for(redis: Any | None) -> Limiter:
    """Shared through Redis when the node has it, this node's own otherwise."""
    return RateLimiter() if redis is None else SharedRateLimiter(redis)
