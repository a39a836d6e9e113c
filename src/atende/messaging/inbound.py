"""Inbound webhooks: stored before the 2xx, processed right after in the background.

`store` is what the webhook endpoint does before answering: one insert that ignores keys it
already has, so a provider's retry or duplicate changes nothing. `InboundProcessor` then turns
pending rows into messages, status changes, bot turns and tasks, oldest first, one savepoint per
row so one bad payload never blocks the others. Rows still pending after a crash are picked up
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


async def store(session: AsyncSession, items: Sequence[RawItem]) -> int:
    """Insert the items not seen before; returns how many were new."""
    if not items:
        return 0
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
        .returning(InboundEvent.id)
    )
    result = await session.execute(statement)
    return len(result.all())


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
        """Process one batch of pending rows; returns how many were taken."""
        async with self.hub.runtime.sessions() as session:
            query = (
                select(InboundEvent)
                .where(InboundEvent.state == "pending")
                .order_by(InboundEvent.id)
                .limit(BATCH)
            )
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.scalars(query)).all())
            for row in rows:
                await self._process(session, row)
            await session.commit()
        if rows:
            self.hub.after_commit()
        return len(rows)

    async def _process(self, session: AsyncSession, row: InboundEvent) -> None:
        try:
            async with session.begin_nested():
                row.state = await self._handle(session, row)
        except Exception as exc:
            log.exception("inbound event %s (%s) failed", row.id, row.key)
            row.state = "failed"
            row.error = f"{exc.__class__.__name__}: {exc}"[:2000]
        row.processed_at = utcnow()

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
