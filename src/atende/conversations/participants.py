"""Who joins a conversation, written in one statement per flush.

The ORM inserts rows whose id the database assigns one statement at a time on SQLite: it needs
each id back, and SQLite's RETURNING does not promise the rows' order. A chunk of inbound
messages opening 50 conversations paid 100 INSERTs for their customers and the bot. Nothing
reads a participant as an object in the transaction that adds it, so the rows are held here
and written right after the flush that writes their conversations (a query in between flushes
first, as it would for an ORM object, and so finds them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from atende.conversations.models import Participant

_HELD = "conversations.participants"
_INSERT = insert(cast(Table, Participant.__table__))


def join(
    session: AsyncSession, conversation_sid: str, at: datetime, *people: tuple[str, str]
) -> None:
    """`people` (kind, identity) join the conversation at `at`, with the session's next flush."""
    held: list[dict[str, Any]] = session.info.setdefault(_HELD, [])
    held.extend(
        {"conversation_sid": conversation_sid, "kind": kind, "identity": identity, "joined_at": at}
        for kind, identity in people
    )


def _write(session: Session, _flush_context: object) -> None:
    rows = session.info.pop(_HELD, None)
    if rows:
        session.connection().execute(_INSERT, rows)


def _forget(session: Session) -> None:
    session.info.pop(_HELD, None)


# Once for every session, as `atende.events.record`'s listeners: a dictionary lookup per flush.
sa_event.listen(Session, "after_flush", _write)
sa_event.listen(Session, "after_rollback", _forget)
