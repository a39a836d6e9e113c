"""Issuing protocol numbers: `YYYYMMDD` in São Paulo time plus a six-digit daily sequence.

Every new call and conversation takes its number from the day's counter row. A transaction
that opens several (a batch of voice webhooks, a chunk of inbound messages) `reserve`s the
numbers they may need first, in one UPDATE, and writes their `protocols` rows together
(`record_issued`) before it commits, instead of an UPDATE and an INSERT each. First also for
the locks, on PostgreSQL: a batch that updated the counter after it had taken a workspace's
routing lock would hold that lock while waiting for the counter, a deadlock with a transaction
holding the counter and waiting for the lock that PostgreSQL cannot see (the routing lock is,
in part, an asyncio lock). A number reserved for what turns out to be a replay or a
conversation already open is left unused: numbers stay unique and increasing, and may skip."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations.protocol_models import Protocol, ProtocolCounter
from atende.db.base import utcnow

ZONE = ZoneInfo("America/Sao_Paulo")


async def take_numbers(session: AsyncSession, count: int, at: datetime | None = None) -> list[str]:
    """`count` consecutive numbers of the day of `at` (now by default) from its counter row, in
    one UPDATE: a batch takes all it may need before it takes any other lock. The caller's
    pending objects are not flushed first (the counter depends on none of them): a flush per
    conversation opened would split a batch's inserts into one statement per row."""
    with session.no_autoflush:
        return await _take(session, count, (at or utcnow()).astimezone(ZONE).date())


_COUNTERS = cast(Table, ProtocolCounter.__table__)
# Built once, on the table rather than the class: every batch of calls and messages runs it,
# and an ORM UPDATE built per call cost more than the statement (an expression to build and
# compile, the ORM's bulk-update bookkeeping).
_INCREMENT = (
    update(_COUNTERS)
    .where(_COUNTERS.c.day == bindparam("counter_day"))
    .values(last=_COUNTERS.c.last + bindparam("taken"))
    .returning(_COUNTERS.c.last)
)


async def _take(session: AsyncSession, count: int, day: date) -> list[str]:
    values = {"counter_day": day, "taken": count}
    last = (await session.execute(_INCREMENT, values)).scalar_one_or_none()
    if last is None:
        # The day's first numbers: create its counter (another node may just have), then count.
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        await session.execute(
            insert(ProtocolCounter).values(day=day, last=0).on_conflict_do_nothing()
        )
        last = (await session.execute(_INCREMENT, values)).scalar_one()
    return [f"{day:%Y%m%d}{number:06d}" for number in range(last - count + 1, last + 1)]


_PROTOCOLS = cast(Table, Protocol.__table__)
# On the table: the ORM's bulk insert of the class costs more than the statement.
_INSERT_PROTOCOL = insert(_PROTOCOLS)
_RESERVED = "protocol.reserved"


@dataclass
class _Reserved:
    day: date
    numbers: deque[str]
    issued: list[dict[str, object]]


async def reserve(session: AsyncSession, count: int) -> None:
    """Take `count` of today's numbers for this session's transaction (see the module's
    docstring); `issue_protocol` hands them out, `record_issued` writes the rows."""
    if count > 0:
        day = utcnow().astimezone(ZONE).date()
        with session.no_autoflush:
            numbers = await _take(session, count, day)
        session.info[_RESERVED] = _Reserved(day, deque(numbers), [])


async def issue_protocol(
    session: AsyncSession, channel: str, reference: str | None = None, at: datetime | None = None
) -> str:
    """Returns e.g. "20261124000042"; the sequence restarts each day in the customer's zone.
    A number reserved for the session's transaction if one is left for that day."""
    moment = at or utcnow()
    reserved: _Reserved | None = session.info.get(_RESERVED)
    if reserved and reserved.numbers and reserved.day == moment.astimezone(ZONE).date():
        number = reserved.numbers.popleft()
        reserved.issued.append(
            {"number": number, "channel": channel, "reference": reference, "opened_at": moment}
        )
        return number
    [number] = await take_numbers(session, 1, moment)
    session.add(Protocol(number=number, channel=channel, reference=reference, opened_at=moment))
    return number


async def record_issued(session: AsyncSession) -> None:
    """The `protocols` rows of the numbers issued from the reservation, in one INSERT."""
    reserved: _Reserved | None = session.info.pop(_RESERVED, None)
    if reserved is not None and reserved.issued:
        await session.execute(_INSERT_PROTOCOL, reserved.issued)
