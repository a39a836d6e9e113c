"""Issuing protocol numbers: `YYYYMMDD` in São Paulo time plus a six-digit daily sequence."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations.protocol_models import Protocol, ProtocolCounter
from atende.db.base import utcnow

ZONE = ZoneInfo("America/Sao_Paulo")


async def issue_protocol(
    session: AsyncSession, channel: str, reference: str | None = None, at: datetime | None = None
) -> str:
    """Returns e.g. "20261124000042"; the sequence restarts each day in the customer's zone."""
    moment = at or utcnow()
    day = moment.astimezone(ZONE).date()
    increment = (
        update(ProtocolCounter)
        .where(ProtocolCounter.day == day)
        .values(last=ProtocolCounter.last + 1)
        .returning(ProtocolCounter.last)
    )
    last = (await session.execute(increment)).scalar_one_or_none()
    if last is None:
        # The day's first number: create its counter (another node may just have), then count.
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        await session.execute(
            insert(ProtocolCounter).values(day=day, last=0).on_conflict_do_nothing()
        )
        last = (await session.execute(increment)).scalar_one()
    number = f"{day:%Y%m%d}{last:06d}"
    session.add(Protocol(number=number, channel=channel, reference=reference, opened_at=moment))
    return number
