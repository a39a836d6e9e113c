"""Protocol numbers: unique, sequential per São Paulo day, safe under concurrent issue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import func, select

from atende.conversations.protocol import issue_protocol, record_issued, reserve
from atende.conversations.protocol_models import Protocol


async def test_numbers_follow_the_sao_paulo_day(app: FastAPI) -> None:
    async with app.state.runtime.sessions() as session:
        # 01:30 UTC on the 25th is still the 24th in São Paulo (UTC-3).
        late = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
        first = await issue_protocol(session, "voice", "CA1", at=late)
        second = await issue_protocol(session, "whatsapp", "conv-2", at=late)
        noon = datetime(2026, 11, 25, 12, tzinfo=UTC)
        next_day = await issue_protocol(session, "voice", "CA3", at=noon)
        await session.commit()
    assert (first, second, next_day) == ("20261124000001", "20261124000002", "20261125000001")


async def test_concurrent_issues_never_repeat_a_number(app: FastAPI) -> None:
    async def one(index: int) -> str:
        async with app.state.runtime.sessions() as session:
            number = await issue_protocol(session, "webchat", f"c{index}")
            await session.commit()
            return number

    numbers = await asyncio.gather(*(one(i) for i in range(12)))
    assert len(set(numbers)) == 12
    async with app.state.runtime.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(Protocol))
    assert stored == 12


async def test_a_reservation_hands_out_its_numbers_and_skips_the_unused(app: FastAPI) -> None:
    """A chunk reserves numbers for the conversations it may open; those it does not open are
    skipped, never given twice, and each one given has its row."""
    async with app.state.runtime.sessions() as session:
        await reserve(session, 3)
        first = await issue_protocol(session, "whatsapp", "CH1")
        second = await issue_protocol(session, "sms", "CH2")
        await record_issued(session)
        await session.commit()
    async with app.state.runtime.sessions() as session:
        after = await issue_protocol(session, "webchat", "CH3")
        await session.commit()
    assert int(second) == int(first) + 1
    assert int(after) == int(first) + 3  # the third reserved number was never used
    async with app.state.runtime.sessions() as session:
        rows = (await session.execute(select(Protocol.number, Protocol.channel))).all()
    assert sorted(rows) == [(first, "whatsapp"), (second, "sms"), (after, "webchat")]


async def test_a_reservation_runs_out_into_the_counter(app: FastAPI) -> None:
    async with app.state.runtime.sessions() as session:
        await reserve(session, 1)
        numbers = [await issue_protocol(session, "voice", f"VC{i}") for i in range(3)]
        await record_issued(session)
        await session.commit()
    assert len(set(numbers)) == 3
    async with app.state.runtime.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(Protocol))
    assert stored == 3
