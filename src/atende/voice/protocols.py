"""Protocol numbers for a batch of new calls, reserved together as its transaction's first
statement.

Every new call gets a protocol number from the day's counter row, which messaging and
click-to-call also update (each before it takes a workspace's routing lock). A batch of
webhooks that updated the counter after its first call had taken the routing lock would hold
that lock while waiting for the counter: a deadlock with a conversation holding the counter and
waiting for the lock, which PostgreSQL cannot see (the routing lock is, in part, an asyncio
lock). So the batch reserves the numbers its new calls may need before anything else, in one
UPDATE, and writes their `protocols` rows together before it commits. A number reserved for a
webhook that turns out to be a replay is left unused: numbers stay unique and increasing, and
may skip one."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations.protocol import issue_protocol, take_numbers
from atende.conversations.protocol_models import Protocol

CHANNEL = "voice"
# On the table: the ORM's bulk insert of the class costs more than the statement.
_INSERT_PROTOCOL = insert(cast(Table, Protocol.__table__))
_RESERVED = "voice.reserved-protocols"


@dataclass
class _Reserved:
    numbers: deque[str]
    issued: list[dict[str, object]]


async def reserve(session: AsyncSession, count: int) -> None:
    """Take `count` numbers from today's counter for this session's transaction."""
    session.info[_RESERVED] = _Reserved(deque(await take_numbers(session, count)), [])


async def issue(session: AsyncSession, reference: str, at: datetime) -> str:
    """A reserved number for the call `reference`; outside a batch, one from the counter."""
    reserved: _Reserved | None = session.info.get(_RESERVED)
    if reserved is None or not reserved.numbers:
        return await issue_protocol(session, CHANNEL, reference=reference, at=at)
    number = reserved.numbers.popleft()
    reserved.issued.append(
        {"number": number, "channel": CHANNEL, "reference": reference, "opened_at": at}
    )
    return number


async def record_issued(session: AsyncSession) -> None:
    """The `protocols` rows of the numbers issued from the reservation, in one INSERT."""
    reserved: _Reserved | None = session.info.pop(_RESERVED, None)
    if reserved is not None and reserved.issued:
        await session.execute(_INSERT_PROTOCOL, reserved.issued)
