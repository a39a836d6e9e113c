"""Group commit for Twilio's webhooks: the requests that arrive while one transaction is being
written share the next one.

Voice's writers take turns (on SQLite one writer at a time, see `atende.voice.writer`; on
PostgreSQL the workspace's routing lock serialises task creation anyway), so under load a
webhook mostly waits for the ones ahead of it. Instead of each paying a transaction of its own
(connection, BEGIN, the routing lock, COMMIT, the after-commit fan-out), the webhooks queued
meanwhile run one after the other in a single transaction (their call events recorded together
at the end), and each request answers once that transaction has committed: still durable before
acknowledged. When one of them fails the
transaction is rolled back and each is run again alone, so a bad webhook never takes the
others down with it. No timer is involved: a lone webhook is written at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from atende.runtime import Runtime
from atende.voice.events import defer_events, record_deferred
from atende.voice.writer import writing

log = logging.getLogger(__name__)

SERVICE_KEY = "voice.batcher"
MAX_BATCH = 64
"""Bounds a transaction's length, so the first webhook of a long queue is not kept waiting."""

Job = Callable[[AsyncSession], Awaitable[str]]


@dataclass
class _Pending:
    job: Job
    reply: asyncio.Future[str] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def settle(self, reply: str | None = None, error: BaseException | None = None) -> None:
        if self.reply.done():  # the client went away; the webhook is stored all the same
            return
        if error is not None:
            self.reply.set_exception(error)
        else:
            self.reply.set_result(reply or "")


class WebhookBatcher:
    def __init__(self, runtime: Runtime, max_batch: int = MAX_BATCH) -> None:
        self.runtime = runtime
        self.max_batch = max_batch
        self._queue: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, job: Job) -> str:
        """`job`'s reply, once the transaction it ran in has committed."""
        pending = _Pending(job)
        self._queue.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="voice.webhook-batches")
        return await asyncio.shield(pending.reply)

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
            try:
                await self._write(batch)
            except BaseException:  # cancelled at shutdown: nobody is left hanging
                for pending in [*batch, *self._queue]:
                    pending.reply.cancel()
                self._queue.clear()
                raise

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            replies = await self._transaction([pending.job for pending in batch])
        except Exception as error:
            if len(batch) == 1:
                batch[0].settle(error=error)
                return
            log.warning("a batch of %d voice webhooks failed; writing each alone", len(batch))
            for pending in batch:
                await self._write([pending])
            return
        for pending, reply in zip(batch, replies, strict=True):
            pending.settle(reply)

    async def _transaction(self, jobs: list[Job]) -> list[str]:
        replies = []
        async with writing(self.runtime), self.runtime.sessions() as session:
            defer_events(session)
            for job in jobs:
                replies.append(await job(session))
                # Each webhook starts with an empty identity map, as in a transaction of its
                # own: the ORM's work per statement (flush, update synchronisation) grows with
                # it, and would grow with the batch.
                await session.flush()
                session.expunge_all()
            await record_deferred(session)
            await session.commit()
        return replies


def batcher(runtime: Runtime) -> WebhookBatcher:
    found = runtime.services.get(SERVICE_KEY)
    if not isinstance(found, WebhookBatcher):
        found = runtime.services[SERVICE_KEY] = WebhookBatcher(runtime)
    return found
