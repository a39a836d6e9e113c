"""Protocol numbers (Decreto 11.034/2022): every contact gets one, given at its start."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, utcnow


class ProtocolCounter(Base):
    """One row a day; incremented atomically so two nodes never hand out the same number."""

    __tablename__ = "protocol_counters"

    day: Mapped[date] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Protocol(Base):
    __tablename__ = "protocols"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    # What the protocol was opened for: a call SID, a conversation id…
    reference: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
