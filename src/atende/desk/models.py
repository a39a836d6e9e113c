"""The desk's own tables: what a wrap-up may be called, ready-made replies, and wrap-ups done.

Routing state lives in the taskrouter tables; these hold only what the desk adds to it."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, utcnow

# The classic 80/20: 80 % of contacts answered within 20 seconds.
DEFAULT_THRESHOLD_SECONDS = 20
DEFAULT_TARGET_PERCENT = 80


class Disposition(Base):
    """A wrap-up code ("Venda realizada"); `code` is what reports and webhooks carry."""

    __tablename__ = "desk_dispositions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)


class CannedResponse(Base):
    """A reply an agent inserts with one click; `{cliente}`, `{agente}`, `{protocolo}` are
    filled in by the desk from the conversation at hand."""

    __tablename__ = "desk_canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10), default="pt-BR")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)


class WrapUp(Base):
    """How an agent closed a task; the label is copied so renaming a code rewrites no history."""

    __tablename__ = "desk_wrap_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(String(34))
    task_sid: Mapped[str] = mapped_column(String(34), unique=True)
    worker_sid: Mapped[str] = mapped_column(String(34))
    disposition_code: Mapped[str] = mapped_column(String(60))
    disposition_label: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    date_created: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_desk_wrap_ups_worker_date", "worker_sid", "date_created"),)


class QueueGoal(Base):
    """A queue's service-level goal: `target_percent` of tasks answered within
    `threshold_seconds`. TaskRouter has no such field, so the desk keeps it beside the queue."""

    __tablename__ = "desk_queue_goals"

    queue_sid: Mapped[str] = mapped_column(String(34), primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(String(34), index=True)
    threshold_seconds: Mapped[int] = mapped_column(default=DEFAULT_THRESHOLD_SECONDS)
    target_percent: Mapped[int] = mapped_column(default=DEFAULT_TARGET_PERCENT)


class BusinessHours(Base):
    """The contact center's hours for one weekday (Monday is 0), in the company's time zone;
    `closes` at 00:00 means midnight. A row per weekday once an administrator saves them."""

    __tablename__ = "desk_business_hours"

    weekday: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    open: Mapped[bool] = mapped_column(default=True)
    opens: Mapped[time | None] = mapped_column(default=None)
    closes: Mapped[time | None] = mapped_column(default=None)
