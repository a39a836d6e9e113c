"""The desk's push streams under a full floor, on a real `atende serve` at 127.0.0.1.

* 2,000 agents' streams (`/api/stream/workers/{sid}`) connected to one node: the time from
  sending a task's create request (TaskRouter API) to its `reservation.created` arriving on the
  stream of the agent the router chose; p50 and p99 over sequential tasks. Baseline: the same
  framework's plain one-client push (an HTTP request that sends one WebSocket message), with
  2,000 clients connected too.
* 2,000 supervisors' streams (`/api/stream/workspaces/{sid}`): the time from sending an agent's
  status change to its `worker.activity.update` reaching every one of the 2,000 streams. Baseline:
  the framework's plain broadcast (FastAPI's documented loop of `send_text` over the open
  connections) to 2,000 clients.

Both servers run in their own processes, side by side, and the samples alternate (one of
Atende's, one of the baseline's), so a load that comes and goes on the shared machine weighs on
both alike. One client process holds every socket and only searches each message for its
marker, so client work is the same on both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import struct
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness
import httpx
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from sqlalchemy import insert

from atende import heap
from atende.auth import secrets
from atende.auth.models import ApiToken, Role, User
from atende.auth.service import AuthService
from atende.db.migrate import upgrade_async
from atende.taskrouter.service import TaskRouterService

STREAMS = 2000
AGENT_SAMPLES = 200
SUPERVISOR_SAMPLES = 30
AGENT_GOAL_MS = 50.0
SUPERVISOR_GOAL_MS = 100.0
CONNECT_BATCH = 100


# ----------------------------------------------------------------------------- seeding


@dataclass
class Floor:
    account_sid: str
    auth_token: str
    workspace_sid: str
    workflow_sid: str
    available_sid: str
    offline_sid: str
    workers: list[str]
    agent_tokens: list[str]
    supervisor_tokens: list[str]


async def seed(database_url: str) -> Floor:
    """A workspace of 2,000 available agents, each with a login and a stream token, and 2,000
    supervisor tokens. Rows go in directly: the figure is about serving, not seeding."""
    await upgrade_async(database_url)
    async with harness.seeding_runtime(database_url) as runtime:
        async with runtime.sessions() as session:
            account = await AuthService(session).create_account("bench desk")
            service = TaskRouterService(session, runtime)
            workspace = await service.create_workspace(account.account_sid, "bench desk")
            workflow = await harness.one_queue_workflow(service, workspace.sid, 600)
            engine = (await service.routing(workspace.sid)).engine
            activities = {a.friendly_name: sid for sid, a in engine.activities.items()}
            channels = list(engine.task_channels)
            await session.commit()
        async with runtime.sessions() as session:
            workers, agent_tokens = await _insert_agents(
                session, workspace.sid, activities["Available"], channels
            )
            supervisor_tokens = await _insert_tokens(session, Role.SUPERVISOR, [None] * STREAMS)
            await session.commit()
        return Floor(
            account.account_sid,
            account.auth_token,
            workspace.sid,
            workflow.sid,
            activities["Available"],
            activities["Offline"],
            workers,
            agent_tokens,
            supervisor_tokens,
        )


async def _insert_agents(
    session: Any, workspace_sid: str, activity_sid: str, channels: list[str]
) -> tuple[list[str], list[str]]:
    now = datetime.now(UTC)
    workers = await harness.insert_workers(
        session,
        workspace_sid,
        activity_sid,
        channels,
        range(STREAMS),
        lambda index: json.dumps({"skills": ["auto"], "team": f"T{index % 20}"}),
        now,
    )
    await session.execute(
        insert(User),
        [
            {
                "email": f"agent{index:05d}@bench.example",
                "display_name": f"agent{index:05d}",
                "role": Role.AGENT.value,
                "workspace_sid": workspace_sid,
                "worker_sid": worker,
                "language": "pt-BR",
                "active": True,
                "failed_logins": 0,
                "session_generation": 0,
                "date_created": now,
            }
            for index, worker in enumerate(workers)
        ],
    )
    users = await session.execute(User.__table__.select().where(User.worker_sid.in_(workers)))
    user_of = {row.worker_sid: row.id for row in users}
    tokens = await _insert_tokens(session, Role.AGENT, [user_of[w] for w in workers])
    return workers, tokens


async def _insert_tokens(session: Any, role: Role, users: list[int | None]) -> list[str]:
    tokens = [secrets.new_token() for _ in users]
    await session.execute(
        insert(ApiToken),
        [
            {
                "name": "bench",
                "role": role.value,
                "token_digest": secrets.digest(token),
                "user_id": user,
            }
            for token, user in zip(tokens, users, strict=True)
        ],
    )
    return tokens


# ----------------------------------------------------------------------------- servers


def baseline_app() -> FastAPI:
    """FastAPI's documented broadcast: remember the sockets, loop `send_text` over them."""
    app = FastAPI()
    clients: dict[int, WebSocket] = {}

    @app.get("/ready")
    async def ready() -> dict[str, int]:
        return {"clients": len(clients)}

    @app.websocket("/ws/{client_id}")
    async def stream(websocket: WebSocket, client_id: int) -> None:
        await websocket.accept()
        clients[client_id] = websocket
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            clients.pop(client_id, None)

    @app.post("/one/{client_id}")
    async def one(client_id: int, marker: str) -> dict[str, bool]:
        await clients[client_id].send_text(json.dumps({"type": "event", "marker": marker}))
        return {"sent": True}

    @app.post("/all")
    async def broadcast(marker: str) -> dict[str, int]:
        message = json.dumps({"type": "event", "marker": marker})
        for websocket in list(clients.values()):
            await websocket.send_text(message)
        return {"sent": len(clients)}

    return app


# ----------------------------------------------------------------------------- clients


class RawStream(asyncio.Protocol):
    """A minimal WebSocket client: handshake, then frames read straight off the socket.

    The client only needs to notice a marker in each server message and answer pings; doing it
    on raw frames keeps the measuring side light enough that 2,000 sockets in one process
    measure the server, not the client library."""

    def __init__(self, listeners: Listeners, number: int, path: str, host: str) -> None:
        self.listeners = listeners
        self.number = number
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n\r\n"
        ).encode()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.opened.done():
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(head.split(b"\r\n")[0].decode()))
                return
            self.opened.set_result(None)
            self.buffer = rest
        self._frames()

    def _frames(self) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            opcode = buffer[0] & 0x0F
            length = buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    break
                length, start = struct.unpack("!H", buffer[2:4])[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                length, start = struct.unpack("!Q", buffer[2:10])[0], 10
            if len(buffer) < start + length:
                break
            payload = buffer[start : start + length]
            buffer = buffer[start + length :]
            if opcode == 0x9:
                self._send(0xA, payload)
            elif opcode in (0x1, 0x0):
                self.listeners.seen(self.number, payload)
        self.buffer = buffer

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        assert self.transport is not None and len(payload) < 126
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)


class Listeners:
    """Thousands of WebSocket clients in one loop, recording when a marker first reaches each."""

    def __init__(self) -> None:
        # marker → {socket number: first arrival}; a socket may see a marker more than once.
        self.arrivals: dict[bytes, dict[int, float]] = {}
        self.streams: list[RawStream] = []
        self.changed = asyncio.Event()

    def watch(self, marker: str) -> None:
        self.arrivals[marker.encode()] = {}

    def seen(self, number: int, payload: bytes) -> None:
        for marker, arrivals in self.arrivals.items():
            if marker in payload and number not in arrivals:
                arrivals[number] = time.perf_counter()
                self.changed.set()

    async def connect(self, port: int, paths: Iterable[str]) -> None:
        pending = list(paths)
        for start in range(0, len(pending), CONNECT_BATCH):
            paths_in_batch = pending[start : start + CONNECT_BATCH]
            batch = [await self._open(port, path) for path in paths_in_batch]
            await asyncio.gather(*(stream.opened for stream in batch))

    async def _open(self, port: int, path: str) -> RawStream:
        stream = RawStream(self, len(self.streams), path, f"{harness.HOST}:{port}")
        self.streams.append(stream)
        await asyncio.get_running_loop().create_connection(lambda: stream, harness.HOST, port)
        return stream

    async def wait_for(self, marker: str, count: int, timeout: float = 10.0) -> list[float]:
        key = marker.encode()
        deadline = time.perf_counter() + timeout
        while len(self.arrivals[key]) < count and time.perf_counter() < deadline:
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.changed.wait(), max(0.0, deadline - time.perf_counter())
                )
        return list(self.arrivals.pop(key).values())

    async def close(self) -> None:
        for stream in self.streams:
            if stream.transport is not None:
                stream.transport.close()
        await asyncio.sleep(0.2)


# ----------------------------------------------------------------------------- scenarios


async def _timed(
    listeners: Listeners,
    marker: str,
    count: int,
    request: Callable[[], Awaitable[httpx.Response]],
) -> float | None:
    """Milliseconds from sending `request` until `marker` has reached `count` sockets."""
    listeners.watch(marker)
    started = time.perf_counter()
    (await request()).raise_for_status()
    arrivals = await listeners.wait_for(marker, count)
    return (max(arrivals) - started) * 1000 if len(arrivals) == count else None


async def _alternate(
    samples: int,
    warmup: int,
    ours: Callable[[int], Awaitable[float | None]],
    theirs: Callable[[int], Awaitable[float | None]],
) -> tuple[list[float], list[float]]:
    """One sample of ours, then one of the baseline, and so on: the machine is shared, and
    a load that comes and goes then weighs on both alike."""
    mine: list[float] = []
    plain: list[float] = []
    for index in range(samples + warmup):
        for measure, kept in ((ours, mine), (theirs, plain)):
            value = await measure(index)
            if value is not None and index >= warmup:
                kept.append(value)
    return mine, plain


async def agent_pushes(
    atende: harness.Server, plain: harness.Server, floor: Floor
) -> tuple[list[float], ...]:
    """Milliseconds from sending a create to its reservation reaching the chosen agent, and
    from asking the plain server to push one message to one client to its arrival."""
    ours, theirs = Listeners(), Listeners()
    await ours.connect(
        atende.port,
        (
            f"/api/stream/workers/{worker}?token={token}"
            for worker, token in zip(floor.workers, floor.agent_tokens, strict=True)
        ),
    )
    await theirs.connect(plain.port, (f"/ws/{index}" for index in range(STREAMS)))
    auth = (floor.account_sid, floor.auth_token)
    try:
        async with (
            httpx.AsyncClient(base_url=atende.url, auth=auth, timeout=30) as api,
            httpx.AsyncClient(base_url=plain.url, timeout=30) as bare,
        ):

            async def create_task(index: int) -> float | None:
                marker = f"bench-task-{index:05d}"
                data = {
                    "WorkflowSid": floor.workflow_sid,
                    "Attributes": json.dumps({"marker": marker}),
                }
                return await _timed(
                    ours,
                    marker,
                    1,
                    lambda: api.post(f"/v1/Workspaces/{floor.workspace_sid}/Tasks", data=data),
                )

            async def push_one(index: int) -> float | None:
                marker = f"plain-one-{index:05d}"
                return await _timed(
                    theirs, marker, 1, lambda: bare.post(f"/one/{index}", params={"marker": marker})
                )

            return await _alternate(AGENT_SAMPLES, 5, create_task, push_one)
    finally:
        await ours.close()
        await theirs.close()


async def supervisor_fanout(
    atende: harness.Server, plain: harness.Server, floor: Floor
) -> tuple[list[float], ...]:
    """Milliseconds from sending a status change until all 2,000 streams have it, and from
    asking the plain server to broadcast until all 2,000 of its clients have the message."""
    ours, theirs = Listeners(), Listeners()
    await ours.connect(
        atende.port,
        (
            f"/api/stream/workspaces/{floor.workspace_sid}?token={token}"
            for token in floor.supervisor_tokens
        ),
    )
    await theirs.connect(plain.port, (f"/ws/{index}" for index in range(STREAMS)))
    auth = (floor.account_sid, floor.auth_token)
    worker = floor.workers[-1]  # never reserved in the agent scenario
    try:
        async with (
            httpx.AsyncClient(base_url=atende.url, auth=auth, timeout=30) as api,
            httpx.AsyncClient(base_url=plain.url, timeout=30) as bare,
        ):

            async def change_status(index: int) -> float | None:
                activity = floor.offline_sid if index % 2 == 0 else floor.available_sid
                return await _timed(
                    ours,
                    activity,  # the new activity's SID marks the event
                    STREAMS,
                    lambda: api.post(
                        f"/v1/Workspaces/{floor.workspace_sid}/Workers/{worker}",
                        data={"ActivitySid": activity},
                    ),
                )

            async def broadcast(index: int) -> float | None:
                marker = f"plain-all-{index:05d}"
                return await _timed(
                    theirs, marker, STREAMS, lambda: bare.post("/all", params={"marker": marker})
                )

            return await _alternate(SUPERVISOR_SAMPLES, 2, change_status, broadcast)
    finally:
        await ours.close()
        await theirs.close()


# ----------------------------------------------------------------------------- entry


def _entry(
    name: str, values: list[float], fraction: float, baseline: list[float], goal_ms: float | None
) -> dict[str, Any]:
    """The percentile at `fraction` of ours beside the baseline's; NaN if no sample arrived."""
    value = harness.percentile(values, fraction) if values else float("nan")
    reference = harness.percentile(baseline, fraction) if baseline else None
    return harness.entry(
        name,
        value,
        "ms",
        reference,
        None if goal_ms is None else f"< {goal_ms:g} ms",
        None if goal_ms is None else bool(values) and value < goal_ms,
    )


async def _measure(workdir: Path) -> list[dict[str, Any]]:
    database_url = f"sqlite:///{workdir / 'desk.db'}"
    clock = time.perf_counter()
    floor = await seed(database_url)
    _log(f"seeded in {time.perf_counter() - clock:.1f} s")
    atende = harness.Server(workdir / "atende.log", {"ATENDE_DATABASE_URL": database_url})
    plain = harness.Server(
        workdir / "plain.log",
        command=(sys.executable, __file__, "--serve-baseline", "{port}"),
        ready_path="/ready",
    )
    atende.start()
    plain.start()
    _log(f"servers up at {time.perf_counter() - clock:.1f} s")
    try:
        agents, plain_one = await agent_pushes(atende, plain, floor)
        _log(f"agent streams done at {time.perf_counter() - clock:.1f} s")
        supervisors, plain_all = await supervisor_fanout(atende, plain, floor)
        _log(f"supervisor streams done at {time.perf_counter() - clock:.1f} s")
    finally:
        atende.stop()
        plain.stop()
    streams = f"{STREAMS:,}".replace(",", "_")
    return [
        _entry(f"desk.task_to_agent_stream.p50 ({streams} agents)", agents, 0.5, plain_one, None),
        _entry(
            f"desk.task_to_agent_stream.p99 ({streams} agents)",
            agents,
            0.99,
            plain_one,
            AGENT_GOAL_MS,
        ),
        _entry(
            f"desk.state_change_to_all_supervisors.p50 ({streams} streams)",
            supervisors,
            0.5,
            plain_all,
            None,
        ),
        _entry(
            f"desk.state_change_to_all_supervisors.p99 ({streams} streams)",
            supervisors,
            0.99,
            plain_all,
            SUPERVISOR_GOAL_MS,
        ),
    ]


def _log(line: str) -> None:
    print(f"  bench_desk: {line}", file=sys.stderr, flush=True)


def run() -> list[dict[str, Any]]:
    # This process seeds the database and holds 4,000 sockets with their buffers (their full
    # collections stalled the clients for 50-150 ms): see `harness.frozen_heap`. The baseline server
    # freezes its heap too, as `atende serve` does.
    with (
        harness.frozen_heap(),
        tempfile.TemporaryDirectory(prefix="atende-bench-desk-") as directory,
    ):
        return asyncio.run(_measure(Path(directory)))


def _serve_baseline(port: int) -> None:
    import uvicorn

    heap.install()
    uvicorn.run(baseline_app(), host=harness.HOST, port=port, log_level="warning")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve-baseline", type=int, default=None)
    args = parser.parse_args()
    if args.serve_baseline is not None:
        _serve_baseline(args.serve_baseline)
    else:
        for row in run():
            print(json.dumps(row))
