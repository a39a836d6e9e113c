"""Agents' push streams: live delivery, exact resume after a drop, and who may listen."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from datetime import UTC, datetime
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from atende.auth.models import Role
from atende.auth.service import AuthService
from atende.events.record import EventRecord, record_events
from atende.events.stream import BACKLOG_LIMIT
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


# Enough 16 KB events to fill the socket buffers between the server and a client that stops
# reading (a few MB at most) and then the server's backlog for it.
BIG_EVENTS = 2 * BACKLOG_LIMIT
BATCH = 200
TRY_AGAIN_LATER = 1013


async def _record_batch(server: LiveServer, first: int) -> None:
    """One commit of BATCH large workspace events, numbered from `first`."""
    now = datetime.now(UTC)
    records = [
        EventRecord(
            workspace_sid=WORKSPACE,
            event_type="worker.activity.update",
            resource_type="worker",
            resource_sid=ANA,
            description=f"change {number}",
            data={"number": number, "notes": "x" * 16_000},
            occurred_at=now,
            worker_sid=ANA,
        )
        for number in range(first, first + BATCH)
    ]
    async with server.app.state.runtime.sessions() as session:
        await record_events(session, records, webhook=None)
        await session.commit()


async def _supervisor_token(server: LiveServer) -> str:
    async with server.app.state.runtime.sessions() as session:
        token = await AuthService(session).create_token("supervisora", Role.SUPERVISOR)
        await session.commit()
        return token


class StalledClient:
    """A WebSocket client that reads nothing until asked, through a socket whose kernel buffer
    holds little, so the server feels it at once (a library client would keep reading)."""

    def __init__(self, host: str, port: int, path: str) -> None:
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        self.socket.settimeout(30)
        self.socket.connect((host, port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.socket.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {key}\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.socket.recv(1)
        assert self.buffer.startswith(b"HTTP/1.1 101"), self.buffer
        self.buffer = b""

    def _read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.socket.recv(65536)
            if not chunk:
                raise ConnectionError("closed without a close frame")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def events_until_closed(self) -> tuple[list[int], int]:
        """The numbers of the events received, then the close code."""
        numbers: list[int] = []
        while True:
            head = self._read(2)
            length = head[1] & 0x7F
            if length >= 126:
                width = 2 if length == 126 else 8
                length = int.from_bytes(self._read(width), "big")
            payload = self._read(length)
            opcode = head[0] & 0x0F
            if opcode == 0x8:
                self.socket.close()
                return numbers, int.from_bytes(payload[:2], "big")
            if opcode == 0x1:
                message = json.loads(payload)
                if message["type"] == "event":
                    numbers.append(message["data"]["number"])


@pytest.mark.slow
def test_a_slow_supervisor_holds_up_nobody_and_resumes_exactly(live_server: LiveServer) -> None:
    token = live_server.call(_supervisor_token(live_server))
    path = f"/api/stream/workspaces/{WORKSPACE}?token={token}"
    url = live_server.url.replace("http", "ws") + path
    host, port = live_server.url.removeprefix("http://").split(":")
    stalled = StalledClient(host, int(port), f"{path}&after=0")

    async def fast_supervisor() -> tuple[list[int], dict[int, int]]:
        seen: list[int] = []
        sequence_of: dict[int, int] = {}
        async with websockets.connect(f"{url}&after=0") as fast:
            for first in range(0, BIG_EVENTS, BATCH):
                await asyncio.to_thread(live_server.call, _record_batch(live_server, first))
                # Each batch reaches the fast supervisor while the stalled one reads nothing.
                while len(seen) < first + BATCH:
                    event = await _next_event(fast)
                    seen.append(event["data"]["number"])
                    sequence_of[event["data"]["number"]] = event["seq"]
        return seen, sequence_of

    async def resume(after: int, count: int) -> list[int]:
        async with websockets.connect(f"{url}&after={after}") as again:
            return [(await _next_event(again))["data"]["number"] for _ in range(count)]

    fast_seen, sequence_of = asyncio.run(fast_supervisor())
    slow_seen, close_code = stalled.events_until_closed()
    resumed = asyncio.run(
        resume(sequence_of[slow_seen[-1]] if slow_seen else 0, BIG_EVENTS - len(slow_seen))
    )
    everything = list(range(BIG_EVENTS))
    assert fast_seen == everything
    assert close_code == TRY_AGAIN_LATER
    assert 0 < len(slow_seen) < BIG_EVENTS
    assert slow_seen + resumed == everything
