"""Inbound webhooks: stored before the 2xx, processed right after in the background.

`store` is what the webhook endpoint does before answering: one insert that ignores keys it
already has, so a provider's retry or duplicate changes nothing; `InboundWriter` gathers the
webhooks arriving together into one such insert and one commit. `InboundProcessor` then turns
pending rows into messages, status changes, bot turns and tasks, oldest first, many rows per
transaction; one bad payload never blocks the others. Rows still pending after a crash are
picked up when the node starts again. A message to a WhatsApp number an admin disabled stays
as it came, `ignored`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Row, Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations import events, protocol
from atende.conversations.items import InboundMessage, RawItem
from atende.conversations.lookahead import Lookahead
from atende.conversations.models import InboundEvent
from atende.conversations.repository import ConversationRepository
from atende.conversations.service import ConversationService
from atende.db.base import utcnow

if TYPE_CHECKING:
    from atende.messaging.hub import MessagingHub

log = logging.getLogger(__name__)

BATCH = 200
# Rows processed in one transaction, at most, and for how long at most (other writers wait).
CHUNK = 50
MAX_HOLD = 0.25
# How long a chunk waits for the webhooks arriving to be stored before it starts anyway.
GIVE_WAY = 0.1
IDLE_WAIT = 2.0


async def store(session: AsyncSession, items: Sequence[RawItem]) -> set[str]:
    """Insert the items not seen before; returns the keys that were new."""
    if not items:
        return set()
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    rows = [
        {
            "provider": item.provider,
            "key": item.key,
            "kind": item.kind,
            "provider_message_id": item.provider_message_id,
            "payload": item.payload,
            "state": "pending",
            "received_at": now,
        }
        for item in items
    ]
    # One statement whatever the number of rows (the driver's batched VALUES), compiled once
    # and cached: a multi-row VALUES of its own would be compiled again for every batch size.
    table = cast(Table, InboundEvent.__table__)
    statement = insert(table).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.key)
    result = await session.execute(statement, rows)
    return set(result.scalars().all())


class InboundWriter:
    """Group commit for webhooks: requests that arrive together are stored in one insert and
    one commit, and each is answered once its items are durable. SQLite has one writer, so a
    commit per request would make concurrent webhooks queue behind each other's commits."""

    def __init__(self, hub: MessagingHub) -> None:
        self.hub = hub
        self._waiting: list[tuple[Sequence[RawItem], asyncio.Future[int]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writing = False
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def waiting(self) -> bool:
        """Webhooks are waiting for their commit (the processor then gives way)."""
        return self._writing or bool(self._waiting)

    async def idle(self, at_most: float) -> None:
        """Until no webhook waits for its commit (the processor lets them go first), but no
        longer than `at_most` seconds: a steady stream must not starve the processing."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), at_most)

    async def store(self, items: Sequence[RawItem]) -> int:
        """Returns how many of the items were new, once they are committed."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((items, future))
        self._idle.clear()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="messaging.inbound-writer")
        return await future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._idle.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._waiting = self._waiting, []
            if batch:
                self._writing = True
                try:
                    await self._write(batch)
                finally:
                    self._writing = False
            if not self._waiting:
                self._idle.set()

    async def _write(self, batch: list[tuple[Sequence[RawItem], asyncio.Future[int]]]) -> None:
        items = [item for request, _ in batch for item in request]
        try:
            async with self._session() as session:
                new = await store(session, items)
                await session.commit()
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for request, future in batch:
            if not future.done():
                future.set_result(sum(item.key in new for item in request))
        if new:
            self.hub.inbound.wake()

    def _session(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """On SQLite (one writer) the webhooks take their turn with the node's other writers;
        PostgreSQL takes both at once, so they never wait behind a processing transaction."""
        if self.hub.runtime.engine.dialect.name == "postgresql":
            return self.hub.runtime.sessions()
        return self.hub.writing()


async def release_waiting(session: AsyncSession, provider_message_ids: Sequence[str]) -> int:
    """Statuses that arrived before Atende knew these messages' ids become due again."""
    result = await session.execute(
        update(InboundEvent)
        .where(
            InboundEvent.provider_message_id.in_(list(provider_message_ids)),
            InboundEvent.state == "waiting",
        )
        .values(state="pending")
    )
    return int(getattr(result, "rowcount", 0) or 0)


class InboundProcessor:
    """Turns pending rows into conversations, bot turns and tasks.

    Rows are taken oldest first, CHUNK at a time, and processed in one transaction (a
    customer's messages in the order they arrived): one BEGIN, one claim, one status update
    and one commit for all of them instead of per row. Webhooks waiting to be stored go
    first: a chunk starts when none waits and ends after the row in progress once one does, so
    acknowledgements stay fast while a backlog is processed. If a row fails, the chunk is
    rolled back and its rows are taken again one per transaction: the failing one is set
    aside, the others kept."""

    def __init__(self, hub: MessagingHub) -> None:
        self.hub = hub
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            handled = await self.process_pending()
            if handled < BATCH:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_WAIT)

    async def process_pending(self) -> int:
        """Process up to BATCH pending rows, a chunk per transaction; returns how many."""
        handled = 0
        while handled < BATCH:
            await self.hub.writer.idle(at_most=GIVE_WAY)
            done = await self._process_chunk()
            if not done:
                break
            handled += done
        if handled:
            self.hub.after_commit()
        return handled

    async def _process_chunk(self) -> int:
        async with self.hub.writing() as session:
            rows = await _claim(session, CHUNK)
            if not rows:
                await session.commit()
                return 0
            started = time.monotonic()
            outcomes: list[dict[str, object]] = []
            events.hold(session)
            self.hub.router.gateway.defer_writes(session)
            try:
                kept = await _kept(session, rows)
                # Read ahead only when the chunk may run its course: with webhooks waiting it
                # gives way after its first row, and the reading would be wasted (and delay them).
                parsed: dict[int, InboundMessage] = {}
                lookahead = None
                if not self.hub.writer.waiting:
                    parsed = self._parsed(rows, kept)
                    repository = ConversationRepository(session)
                    lookahead = await Lookahead.load(repository, parsed.values())
                    await protocol.reserve(session, lookahead.conversations_to_open())
                    await self.hub.router.read_ahead(session, lookahead.conversations.values())
                for row in rows:
                    if outcomes and await self._must_yield(started):
                        break
                    state = await self._handle(session, row, kept, lookahead, parsed.get(row.id))
                    outcomes.append({"id": row.id, "state": state, "processed_at": utcnow()})
                await events.release(session)  # the conversations' events before their tasks'
                await self.hub.router.gateway.write_deferred(session)
                await protocol.record_issued(session)
                await session.execute(update(InboundEvent), outcomes)
                await session.commit()
                return len(outcomes)
            except OperationalError:
                raise  # the database is busy or gone: the rows stay pending and are tried again
            except Exception:
                await session.rollback()
                suspects = [row.id for row in rows[: len(outcomes) + 1]]
        for row_id in suspects:
            await self._process_alone(row_id)
        return len(suspects)

    async def _must_yield(self, started: float) -> bool:
        """Hand the database to the webhooks waiting to be stored: an acknowledgement waits
        for one row's processing at most, never for a whole chunk. The event loop runs once
        first: SQLite runs on the loop's thread, so while a chunk works no request is read
        and no webhook could be seen waiting (a chunk ran its 50 rows, ~100 ms, whatever came)."""
        await asyncio.sleep(0)
        held = time.monotonic() - started
        return held >= MAX_HOLD or self.hub.writer.waiting

    async def _process_alone(self, row_id: int) -> None:
        """One row in its own transaction; a failure sets it aside with its error."""
        async with self.hub.writing() as session:
            rows = await _claim(session, 1, row_id)
            if not rows:
                await session.commit()
                return
            row = rows[0]
            try:
                state = await self._handle(session, row, await _kept(session, rows))
            except OperationalError:
                raise
            except Exception as exc:
                log.exception("inbound event %s (%s) failed", row.id, row.key)
                await session.rollback()
                failure = f"{exc.__class__.__name__}: {exc}"
            else:
                await _mark(session, row_id, state=state)
                await session.commit()
                return
        async with self.hub.writing() as session:
            await _mark(session, row_id, state="failed", error=failure[:2000])
            await session.commit()

    def _parsed(
        self, rows: Sequence[Row[Any]], kept: set[tuple[str, str]]
    ) -> dict[int, InboundMessage]:
        """The chunk's new messages, parsed once (for the lookahead and their own turn). A
        payload that does not parse is left out: it fails in its own turn, as it would have."""
        parsed: dict[int, InboundMessage] = {}
        for row in rows:
            if row.kind != "message" or (row.provider, row.provider_message_id) in kept:
                continue
            try:
                parsed[row.id] = self.hub.connector(row.provider).message(row.payload)
            except Exception:
                continue
        return parsed

    async def _handle(
        self,
        session: AsyncSession,
        row: Row[Any],
        kept: set[tuple[str, str]],
        lookahead: Lookahead | None = None,
        item: InboundMessage | None = None,
    ) -> str:
        connector = self.hub.connector(row.provider)
        if row.kind == "status":
            update_ = connector.status(row.payload)
            message = await ConversationService(session).apply_status(update_)
            return "done" if message is not None else "waiting"
        if (row.provider, row.provider_message_id) in kept:
            return "done"
        item = item or connector.message(row.payload)
        if row.provider == self.hub.meta.name and not await self.hub.numbers.receives(
            item.business_address
        ):
            return "ignored"
        workspace = await self.hub.router.workspace_for(session)
        received = await ConversationService(session).receive(
            item, workspace, unseen=True, lookahead=lookahead
        )
        if received is not None:
            await self.hub.after_inbound(session, received, item)
        return "done"


async def _claim(session: AsyncSession, limit: int, row_id: int | None = None) -> list[Row[Any]]:
    """Pending rows, oldest first (just the columns processing reads: no ORM objects); on
    PostgreSQL locked, skipping those another node holds."""
    query = (
        select(
            InboundEvent.id,
            InboundEvent.key,
            InboundEvent.provider,
            InboundEvent.kind,
            InboundEvent.payload,
            InboundEvent.provider_message_id,
        )
        .where(InboundEvent.state == "pending")
        .order_by(InboundEvent.id)
        .limit(limit)
    )
    if row_id is not None:
        query = query.where(InboundEvent.id == row_id)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).all())


async def _kept(session: AsyncSession, rows: Sequence[Row[Any]]) -> set[tuple[str, str]]:
    """The rows' messages already kept (one query for the chunk; a chunk never holds one
    message twice, the rows' keys being unique)."""
    ids = [row.provider_message_id for row in rows if row.kind == "message"]
    return await ConversationRepository(session).kept_provider_ids(ids)


async def _mark(
    session: AsyncSession, row_id: int, *, state: str, error: str | None = None
) -> None:
    await session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == row_id)
        .values(state=state, error=error, processed_at=utcnow())
    )
