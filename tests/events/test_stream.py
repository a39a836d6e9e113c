"""Agents' push streams: live delivery, exact resume after a drop, and who may listen."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from atende.auth.models import Role
from atende.auth.service import AuthService
from atende.events.record import EventRecord, record_events
from tests.conftest import LiveServer

WORKSPACE = "WS" + "0" * 32
ANA = "WK" + "a" * 32
BETO = "WK" + "b" * 32


async def _record(server: LiveServer, worker_sid: str, event_type: str) -> None:
    async with server.app.state.runtime.sessions() as session:
        await record_events(
            session,
            [
                EventRecord(
                    workspace_sid=WORKSPACE,
                    event_type=event_type,
                    resource_type="reservation",
                    resource_sid="WR" + "1" * 32,
                    description=f"{event_type} for {worker_sid}",
                    data={"worker_sid": worker_sid},
                    occurred_at=datetime.now(UTC),
                    worker_sid=worker_sid,
                )
            ],
            webhook=None,
        )
        await session.commit()


async def _agent_token(server: LiveServer, email: str, worker_sid: str) -> str:
    async with server.app.state.runtime.sessions() as session:
        auth = AuthService(session)
        user = await auth.create_user(email, Role.AGENT, worker_sid=worker_sid)
        token = await auth.create_token(email, Role.AGENT, user_id=user.id)
        await session.commit()
        return token


def _ws_url(server: LiveServer, worker_sid: str, token: str, after: int | None = None) -> str:
    url = server.url.replace("http", "ws") + f"/api/stream/workers/{worker_sid}?token={token}"
    return url if after is None else f"{url}&after={after}"


async def _next_event(connection: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(connection.recv(), 10))
        if message["type"] == "event":
            return dict(message)


@pytest.mark.slow
def test_stream_delivers_live_and_resumes_exactly_after_a_drop(live_server: LiveServer) -> None:
    token = live_server.call(_agent_token(live_server, "ana@corretora.com.br", ANA))
    live_server.call(_record(live_server, ANA, "reservation.created"))
    live_server.call(_record(live_server, BETO, "reservation.created"))

    async def scenario() -> list[str]:
        seen: list[str] = []
        async with websockets.connect(_ws_url(live_server, ANA, token, after=0)) as connection:
            first = await _next_event(connection)
            seen.append(first["event_type"])
            live_server.call_soon(_record(live_server, ANA, "reservation.accepted"))
            second = await _next_event(connection)
            seen.append(second["event_type"])
            last_seq = second["seq"]
        # The laptop sleeps: two events happen while nobody listens.
        await asyncio.to_thread(live_server.call, _record(live_server, ANA, "reservation.wrapup"))
        await asyncio.to_thread(
            live_server.call, _record(live_server, ANA, "reservation.completed")
        )
        async with websockets.connect(_ws_url(live_server, ANA, token, after=last_seq)) as again:
            seen.append((await _next_event(again))["event_type"])
            seen.append((await _next_event(again))["event_type"])
        return seen

    assert asyncio.run(scenario()) == [
        "reservation.created",
        "reservation.accepted",
        "reservation.wrapup",
        "reservation.completed",
    ]


def _handshake_status(url: str) -> int:
    async def attempt() -> int:
        try:
            async with websockets.connect(url):
                return 101
        except InvalidStatus as refused:
            return int(refused.response.status_code)

    return asyncio.run(attempt())


@pytest.mark.slow
def test_an_agent_cannot_follow_another_agent(live_server: LiveServer) -> None:
    token = live_server.call(_agent_token(live_server, "beto@corretora.com.br", BETO))
    assert _handshake_status(_ws_url(live_server, ANA, token)) == 403
    assert _handshake_status(_ws_url(live_server, BETO, token)) == 101


@pytest.mark.slow
def test_a_forged_token_is_refused(live_server: LiveServer) -> None:
    assert _handshake_status(_ws_url(live_server, ANA, "forged")) == 403
