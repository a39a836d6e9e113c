"""Group commit for Twilio's webhooks: the requests that arrive while one transaction is being
written share the next one.

Voice's writers take turns (on SQLite one writer at a time, see `atende.voice.writer`; on
PostgreSQL the workspace's routing lock serialises task creation anyway), so under load a
webhook mostly waits for the ones ahead of it. Instead of each paying a transaction of its own
(connection, BEGIN, the routing lock, COMMIT, the after-commit fan-out), the webhooks queued
meanwhile run one after the other in a single transaction (their protocol numbers reserved
together first, then the webhooks stored in one statement and their callers' contacts read in
one query; their new calls, legs, replies, protocol rows and call events each written in one
statement, and their tasks with what routing them changed likewise
(`RoutingManager.defer_writes`), before a webhook that may read them and at the end), and each
request answers once that transaction has committed: still durable before acknowledged. When
one of them fails the transaction is rolled back and each is run again alone, so a bad webhook
never takes the others down with it. No timer is involved: a
lone webhook is written at once, after a few turns of the event loop for those already received.

Locks, on PostgreSQL. A batch holds what its earlier webhooks took (calls' rows, a workspace's
routing lock, partly an asyncio lock PostgreSQL cannot see) while it runs the next one, so it
must never wait for a lock there: a desk control holding a call and waiting for the routing
lock would wait for it forever. The order is fixed instead:
1. the protocol counter, first of all and only then (`atende.conversations.protocol`);
2. the first webhook's call, waiting if need be: the batch holds nothing anybody waits on yet;
3. every later webhook's call without waiting (`FOR UPDATE NOWAIT`, see
   `VoiceRepository.call`). A call that is busy ends the attempt: the transaction is rolled
   back, the webhooks before it are written again without it, and it heads the next batch,
   where it is first and may wait.
A call's legs and recordings are written only once its row is held, and a workspace's routing
lock is only waited for by holders of calls, never the other way round, so no cycle can form.
(Two nodes' batches only meet on rows and advisory locks, which PostgreSQL sees and breaks.)"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations import protocol
from atende.runtime import Runtime
from atende.voice import contacts
from atende.voice.events import defer_events, record_deferred
from atende.voice.repository import (
    NO_WAITING,
    IncomingWebhook,
    hold_rows,
    store_ahead,
    write_held,
)
from atende.voice.routing import Routing
from atende.voice.writer import writing

log = logging.getLogger(__name__)

SERVICE_KEY = "voice.batcher"
MAX_BATCH = 64
"""Bounds a transaction's length, so the first webhook of a long queue is not kept waiting."""

ARRIVAL_TURNS = 4
"""Event-loop turns a request takes from its last bytes to the queue, at most."""

Job = Callable[[AsyncSession], Awaitable[str]]

LOCK_NOT_AVAILABLE = "55P03"
"""PostgreSQL's SQLSTATE for a NOWAIT lock that was taken."""


class _CallBusy(Exception):
    """The webhook at `index` found its call locked by another transaction."""

    def __init__(self, index: int) -> None:
        super().__init__(f"webhook {index} of the batch found its call busy")
        self.index = index


def _lock_not_available(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE


@dataclass
class _Pending:
    job: Job
    new_call: bool
    webhook: IncomingWebhook | None
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

    @property
    def waiting(self) -> int:
        """Webhooks queued for the next transaction."""
        return len(self._queue)

    async def run(
        self, job: Job, new_call: bool = False, webhook: IncomingWebhook | None = None
    ) -> str:
        """`job`'s reply, once the transaction it ran in has committed. A `new_call` (Twilio's
        first webhook of a call) gets a protocol number and reads nothing held back. The
        `webhook` the job stores is stored with the batch's others, in one statement."""
        pending = _Pending(job, new_call, webhook)
        self._queue.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="voice.webhook-batches")
        return await asyncio.shield(pending.reply)

    async def _drain(self) -> None:
        while self._queue:
            await self._let_arrivals_join()
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
            try:
                await self._write(batch)
            except BaseException:  # cancelled at shutdown: nobody is left hanging
                for pending in [*batch, *self._queue]:
                    pending.reply.cancel()
                self._queue.clear()
                raise

    async def _let_arrivals_join(self) -> None:
        """Webhooks already received but still on their way here (being verified) join the
        batch about to start: a few turns of the event loop, no timer, for as long as the
        queue grows. Without them the first webhook after a commit went alone, and those right
        behind it waited for its transaction to start their own."""
        while len(self._queue) < self.max_batch:
            queued = len(self._queue)
            for _ in range(ARRIVAL_TURNS):
                await asyncio.sleep(0)
            if len(self._queue) == queued:
                return

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            replies = await self._transaction(batch)
        except _CallBusy as busy:
            self._queue[:0] = batch[busy.index :]
            await self._write(batch[: busy.index])
            return
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

    async def _transaction(self, batch: list[_Pending]) -> list[str]:
        replies = []
        async with writing(self.runtime), self.runtime.sessions() as session:
            await protocol.reserve(session, sum(pending.new_call for pending in batch))
            await store_ahead(session, [p.webhook for p in batch if p.webhook is not None])
            await contacts.read_ahead(
                session, [p.webhook for p in batch if p.new_call and p.webhook is not None]
            )
            defer_events(session)
            hold_rows(session)
            routing: Routing = self.runtime.services["voice.routing"](session, self.runtime)
            routing.defer_writes()
            for index, pending in enumerate(batch):
                if not pending.new_call:
                    await _write_held(session, routing)  # it may read them
                try:
                    replies.append(await pending.job(session))
                    # Each webhook starts with an empty identity map, as in a transaction of
                    # its own: the ORM's work per statement (flush, update synchronisation)
                    # grows with it, and would grow with the batch.
                    await session.flush()
                except DBAPIError as error:
                    if index and _lock_not_available(error):
                        raise _CallBusy(index) from error
                    raise
                session.expunge_all()
                session.info[NO_WAITING] = True
            await _write_held(session, routing)
            await protocol.record_issued(session)
            await record_deferred(session)
            await session.commit()
        return replies


async def _write_held(session: AsyncSession, routing: Routing) -> None:
    """What the batch's new calls held back: their calls, legs and replies, and their tasks."""
    await write_held(session)
    await routing.write_deferred()


def batcher(runtime: Runtime) -> WebhookBatcher:
    found = runtime.services.get(SERVICE_KEY)
    if not isinstance(found, WebhookBatcher):
        found = runtime.services[SERVICE_KEY] = WebhookBatcher(runtime)
    return found
