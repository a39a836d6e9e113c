"""A token bucket per sending number: Meta allows 80 messages a second per business number by
default, and sending faster only earns throttling errors (130429) and retries.

The limit is per node; several nodes sharing one number should lower `rate` accordingly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

DEFAULT_RATE = 80.0
# Floating-point slack: a bucket this close to a whole token has one (else waits could shrink
# below the clock's resolution and never end).
EPSILON = 1e-9


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
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
