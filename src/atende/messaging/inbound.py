"""Inbound webhooks: stored before the 2xx, processed right after in the background.

`store` is what the webhook endpoint does before answering: one insert that ignores keys it
already has, so a provider's retry or duplicate changes nothing. `InboundProcessor` then turns
pending rows into messages, status changes, bot turns and tasks, oldest first, one transaction
per row so one bad payload never blocks the others. Rows still pending after a crash are picked up
when the node starts again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations.items import RawItem
from atende.conversations.models import InboundEvent
from atende.conversations.service import ConversationService
from atende.db.base import utcnow

if TYPE_CHECKING:
    from atende.messaging.hub import MessagingHub

log = logging.getLogger(__name__)

BATCH = 200
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
    statement = (
        insert(InboundEvent)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(InboundEvent.key)
    )
    result = await session.execute(statement)
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

    async def store(self, items: Sequence[RawItem]) -> int:
        """Returns how many of the items were new, once they are committed."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((items, future))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="messaging.inbound-writer")
        return await future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._waiting = self._waiting, []
            if batch:
                await self._write(batch)

    async def _write(self, batch: list[tuple[Sequence[RawItem], asyncio.Future[int]]]) -> None:
        items = [item for request, _ in batch for item in request]
        try:
            async with self.hub.writing() as session:
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


async def release_waiting(session: AsyncSession, provider_message_id: str) -> int:
    """Statuses that arrived before Atende knew the message's id become due again."""
    result = await session.execute(
        update(InboundEvent)
        .where(
            InboundEvent.provider_message_id == provider_message_id,
            InboundEvent.state == "waiting",
        )
        .values(state="pending")
    )
    return int(getattr(result, "rowcount", 0) or 0)


class InboundProcessor:
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
        """Process up to a batch of pending rows, each in its own short transaction (SQLite
        has one writer: webhooks must not wait behind a long batch); returns how many."""
        handled = 0
        while handled < BATCH:
            if not await self._process_next():
                break
            handled += 1
        if handled:
            self.hub.after_commit()
        return handled

    async def _process_next(self) -> bool:
        async with self.hub.writing() as session:
            query = (
                select(InboundEvent)
                .where(InboundEvent.state == "pending")
                .order_by(InboundEvent.id)
                .limit(1)
            )
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = await session.scalar(query)
            if row is None:
                await session.commit()
                return False
            row_id, key = row.id, row.key
            try:
                row.state = await self._handle(session, row)
            except OperationalError:
                raise  # the database is busy or gone: the row stays pending and is tried again
            except Exception as exc:
                log.exception("inbound event %s (%s) failed", row_id, key)
                await session.rollback()
                failure = f"{exc.__class__.__name__}: {exc}"
            else:
                row.processed_at = utcnow()
                await session.commit()
                return True
        await self._failed(row_id, failure)
        return True

    async def _failed(self, row_id: int, error: str) -> None:
        """Set aside a row that cannot be processed, so the ones behind it go on."""
        async with self.hub.writing() as session:
            await session.execute(
                update(InboundEvent)
                .where(InboundEvent.id == row_id)
                .values(state="failed", error=error[:2000], processed_at=utcnow())
            )
            await session.commit()

    async def _handle(self, session: AsyncSession, row: InboundEvent) -> str:
        connector = self.hub.connector(row.provider)
        if row.kind == "status":
            update_ = connector.status(row.payload)
            message = await ConversationService(session).apply_status(update_)
            return "done" if message is not None else "waiting"
        item = connector.message(row.payload)
        workspace = await self.hub.router.workspace_for(session)
        received = await ConversationService(session).receive(item, workspace)
        if received is not None:
            await self.hub.after_inbound(session, received, item)
        return "done"
