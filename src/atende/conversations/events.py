"""Conversation events: stored in the one event log (so an agent's stream replays them after a
reconnect) and pushed on the bus (desk, supervisors, the web chat visitor).

They are not sent to a workspace's EventCallbackUrl: that stays TaskRouter's own event set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations.models import Conversation, Message
from atende.db.base import utcnow
from atende.events.record import EventRecord, record_events

MESSAGE_ADDED = "conversation.message.added"
MESSAGE_UPDATED = "conversation.message.updated"
CREATED = "conversation.created"
QUEUED = "conversation.queued"
ASSIGNED = "conversation.assigned"
TRANSFERRED = "conversation.transferred"
CLOSED = "conversation.closed"
_HELD = "atende.conversations.held-events"
_UNNUMBERED = "atende.conversations.unnumbered-messages"


async def emit(
    session: AsyncSession,
    conversation: Conversation,
    event_type: str,
    description: str,
    data: dict[str, Any],
    *,
    actor_sid: str | None = None,
    worker_sid: str | None = None,
) -> None:
    record = _record(conversation, event_type, description, data, actor_sid, worker_sid)
    await _record_or_hold(session, [record])


async def emit_many(
    session: AsyncSession,
    conversation: Conversation,
    happenings: Sequence[tuple[str, str, dict[str, Any]]],
) -> None:
    """Several events of one conversation (type, description, data), recorded together."""
    records = [_record(conversation, *happening, None, None) for happening in happenings]
    await _record_or_hold(session, records)


def hold(session: AsyncSession) -> None:
    """From now on this session's conversation events wait for `release`, which writes them
    in one insert (a batch of webhooks writes its events once, not once per event)."""
    session.info.setdefault(_HELD, [])


def holding(session: AsyncSession) -> bool:
    return session.info.get(_HELD) is not None


def number_later(session: AsyncSession, view: dict[str, Any], message: Message) -> None:
    """A held event shows a message not inserted yet: its id is filled in at `release`, so
    the message goes in the same flush as the rest of the work rather than one of its own."""
    session.info.setdefault(_UNNUMBERED, []).append((view, message))


async def release(session: AsyncSession) -> None:
    """Write the events held so far, in the order they happened; before the transaction
    commits, and before anything else records events they must precede (a task's)."""
    unnumbered: list[tuple[dict[str, Any], Message]] = session.info.pop(_UNNUMBERED, None) or []
    if unnumbered:
        await session.flush()
        for view, message in unnumbered:
            view["id"] = message.id
    held: list[EventRecord] = session.info.get(_HELD) or []
    if held:
        session.info[_HELD] = []
        await record_events(session, held, None)


async def _record_or_hold(session: AsyncSession, records: list[EventRecord]) -> None:
    held: list[EventRecord] | None = session.info.get(_HELD)
    if held is None:
        await record_events(session, records, None)
    else:
        held.extend(records)


def _record(
    conversation: Conversation,
    event_type: str,
    description: str,
    data: dict[str, Any],
    actor_sid: str | None,
    worker_sid: str | None,
) -> EventRecord:
    return EventRecord(
        workspace_sid=conversation.workspace_sid or "",
        event_type=event_type,
        resource_type="conversation",
        resource_sid=conversation.sid,
        description=description,
        data={"conversation_sid": conversation.sid, "channel": conversation.channel, **data},
        occurred_at=utcnow(),
        actor_type="worker" if actor_sid else "system",
        actor_sid=actor_sid,
        worker_sid=worker_sid or conversation.worker_sid,
        task_sid=conversation.task_sid,
    )
