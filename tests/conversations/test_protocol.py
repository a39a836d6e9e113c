"""Protocol numbers: unique, sequential per São Paulo day, safe under concurrent issue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import func, select

from atende.conversations.protocol import issue_protocol
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
