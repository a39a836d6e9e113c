"""Delivery of queued outbound HTTP requests, with retries and exponential backoff.

Rows are claimed in small batches; on PostgreSQL `FOR UPDATE SKIP LOCKED` lets several nodes
share the work without sending anything twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from sqlalchemy import select

from atende.db.base import utcnow
from atende.events.models import OutboxMessage
from atende.runtime import Runtime

log = logging.getLogger(__name__)

BATCH = 50
IDLE_WAIT = 5.0
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_BACKOFF = 3600.0

ReplyHandler = Callable[[OutboxMessage, httpx.Response], Awaitable[None]]
FailureHandler = Callable[[OutboxMessage], Awaitable[None]]


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 … seconds, capped at an hour, with jitter so retries don't arrive in waves."""
    base = min(2.0**attempts, MAX_BACKOFF)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


class OutboxDispatcher:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._wake = asyncio.Event()
        self.reply_handlers: dict[str, ReplyHandler] = {}
        self.failure_handlers: dict[str, FailureHandler] = {}
        """By message kind: called instead of retrying when a delivery fails (network error,
        timeout or any non-2xx answer), e.g. to try a fallback URL at once."""
        self.timeouts: dict[str, float] = {}
        """By message kind: a time limit shorter than ``TIMEOUT`` for callers expected to
        answer at once."""
        self._client: httpx.AsyncClient | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            self._client = client
            while True:
                # Cleared before delivering, so a wake-up that arrives meanwhile is kept.
                self._wake.clear()
                sent = await self.deliver_due()
                if sent < BATCH:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), IDLE_WAIT)

    async def deliver_due(self) -> int:
        """Deliver one batch of due messages; returns how many were attempted."""
        async with self.runtime.sessions() as session:
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= utcnow())
                .order_by(OutboxMessage.id)
                .limit(BATCH)
            )
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            messages = list((await session.execute(query)).scalars())
            await asyncio.gather(*(self._attempt(message) for message in messages))
            await session.commit()
            return len(messages)

    async def _attempt(self, message: OutboxMessage) -> None:
        client = self._client or httpx.AsyncClient(timeout=TIMEOUT)
        message.attempts += 1
        limit = self.timeouts.get(message.kind)
        try:
            response = await client.request(
                message.method,
                message.url,
                headers=message.headers,
                content=message.body,
                timeout=TIMEOUT if limit is None else limit,
            )
        except httpx.HTTPError as exc:
            await self._failed(message, f"{exc.__class__.__name__}: {exc}")
            return
        message.response_status = response.status_code
        message.response_body = response.text[:2000]
        if (
            response.status_code >= 500
            or response.status_code == 429
            or (not response.is_success and message.kind in self.failure_handlers)
        ):
            await self._failed(message, f"HTTP {response.status_code}")
            return
        message.status = "delivered" if response.is_success else "rejected"
        message.delivered_at = utcnow()
        handler = self.reply_handlers.get(message.reply_to or "")
        if handler is not None and response.is_success:
            try:
                await handler(message, response)
            except Exception:
                log.exception("handling the reply to outbox message %s failed", message.id)

    async def _failed(self, message: OutboxMessage, error: str) -> None:
        message.last_error = error
        handler = self.failure_handlers.get(message.kind)
        if handler is not None:
            message.status = "failed"
            try:
                await handler(message)
            except Exception:
                log.exception("handling the failure of outbox message %s failed", message.id)
        elif message.attempts >= message.max_attempts:
            message.status = "failed"
            log.warning("giving up on %s %s: %s", message.kind, message.url, error)
        else:
            message.next_attempt_at = utcnow() + backoff(message.attempts)
