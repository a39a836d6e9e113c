"""Following routing: when an agent accepts a conversation's reservation, they own it.

The push on the bus is the fast path; at start-up the queued conversations are checked
against their tasks once, so an acceptance heard by nobody (a restart) is not lost."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from atende.conversations.repository import ConversationRepository

if TYPE_CHECKING:
    from atende.messaging.hub import MessagingHub

log = logging.getLogger(__name__)

ACCEPTED = "reservation.accepted"


def _accepted(event: dict[str, Any]) -> bool:
    return event.get("event_type") == ACCEPTED


async def follow_assignments(hub: MessagingHub) -> None:
    bus = hub.runtime.services["bus"]
    with bus.subscribe(_accepted) as subscription:
        await reconcile(hub)
        while True:
            event = await subscription.get()
            task_sid, worker_sid = event.get("task_sid"), event.get("worker_sid")
            if not task_sid or not worker_sid:
                continue
            async with hub.writing() as session:
                await hub.router.accepted(session, task_sid, worker_sid)
                await session.commit()


async def reconcile(hub: MessagingHub) -> None:
    async with hub.writing() as session:
        queued = await ConversationRepository(session).listing(states=("queued",), limit=10_000)
        for conversation in queued:
            await hub.router.reconcile(session, conversation)
        await session.commit()
