"""Stored events (TaskRouter's Events resource, the stream's replay log) and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
SequenceId = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """An event as it happened; `id` is the stream sequence a reconnecting client resumes from."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    sid: Mapped[str] = mapped_column(String(34), unique=True)
    workspace_sid: Mapped[str] = mapped_column(String(34))
    event_type: Mapped[str] = mapped_column(String(80))
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_sid: Mapped[str] = mapped_column(String(34))
    description: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor_type: Mapped[str] = mapped_column(String(40), default="system")
    actor_sid: Mapped[str | None] = mapped_column(String(34), default=None)
    worker_sid: Mapped[str | None] = mapped_column(String(34), default=None)
    task_sid: Mapped[str | None] = mapped_column(String(34), default=None)
    reservation_sid: Mapped[str | None] = mapped_column(String(34), default=None)
    event_date: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_events_workspace_date", "workspace_sid", "event_date"),
        Index("ix_events_worker_id", "worker_sid", "id"),
        Index("ix_events_task", "task_sid"),
        Index("ix_events_resource", "resource_sid"),
    )


class OutboxMessage(Base):
    """An outbound HTTP effect, stored in the same transaction as the change that caused it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(10), default="POST")
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=12)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    response_status: Mapped[int | None] = mapped_column(default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    # Lets the sender act on the answer (e.g. a TaskRouter assignment instruction).
    reply_to: Mapped[str | None] = mapped_column(String(80), default=None)

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
