"""What the benchmarks share: a server in its own process, a fresh PostgreSQL database, the
seeding of a workspace (runtime, one-queue workflow, workers as rows), the percentile, the result
entry `run_all.py` prints, and the frozen heap of the load generator.

One copy, so the benchmarks measure the same way: a fix to how a server is waited for or how a
percentile is picked changes every figure alike, and the ratios stay comparable across benches.

Imported as `harness` (the benchmarks folder is first on `sys.path` both when a bench runs as
`python benchmarks/bench_x.py` and through `run_all.py`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from atende import heap
from atende.config import Settings
from atende.runtime import Runtime
from atende.sids import new_sid
from atende.taskrouter import models
from atende.taskrouter.routing_manager import RoutingManager
from atende.taskrouter.service import TaskRouterService
from atende.taskrouter.service_base import MANAGER_KEY

HOST = "127.0.0.1"
ATENDE = Path(sys.executable).with_name("atende")
# `atende serve` as production runs it; `{port}` is filled in by `Server`.
ATENDE_SERVE = (str(ATENDE), "serve", "--host", HOST, "--port", "{port}")
START_SECONDS = 120.0
STOP_SECONDS = 15.0


def free_port() -> int:
    """A port nothing listens on now, so parallel runs and leftover servers do not collide."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A server in its own process, so the load generator's work does not slow it down.

    `command` and the values of `env` may hold `{port}` and `{url}`: the server's own port and
    base URL are only known here (some settings, like the public URL signatures are checked
    against, must name them). `env` is added to this process's environment."""

    def __init__(
        self,
        log: Path,
        env: Mapping[str, str] | None = None,
        command: Sequence[str] = ATENDE_SERVE,
        ready_path: str = "/healthz",
    ) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.command = [self._fill(part) for part in command]
        self.env = {key: self._fill(value) for key, value in (env or {}).items()}
        self.ready_path = ready_path
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def _fill(self, text: str) -> str:
        return text.replace("{port}", str(self.port)).replace("{url}", self.url)

    def start(self) -> None:
        """Returns once `ready_path` answers 200; a server that exits first fails with its log."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + self.log.read_text()[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}{self.ready_path}", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def rss_mb(self) -> float:
        """The server's resident memory, for figures of what loading data costs it."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def tail(self, chars: int = 4000) -> str:
        """The end of the server's log, for a failed run's report."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        """SIGTERM, as a deployment stops it; killed if it has not exited in STOP_SECONDS."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A fresh database named `prefix` + random hex on the PostgreSQL server of `server_url`,
    dropped afterwards even with connections still open; yields its URL."""
    admin = make_url(server_url).set(drivername="postgresql")
    plain = admin.render_as_string(hide_password=False)
    name = prefix + secrets.token_hex(4)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank value at `fraction` (0.99 for p99) of `values`, which must not be empty."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def entry(
    name: str,
    value: float,
    unit: str,
    baseline: float | None,
    goal: str | None,
    meets: bool | None,
    *,
    digits: int = 2,
    ratio_digits: int | None = None,
) -> dict[str, Any]:
    """One row of `run_all.py`'s table: the figure beside the baseline measured in the same run,
    and their ratio (none without a baseline), which is what compares across runs on a shared
    machine. `digits` rounds value and baseline; `ratio_digits` the ratio (default `digits`)."""
    return {
        "name": name,
        "value": round(value, digits),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, digits),
        "ratio": (
            round(value / baseline, digits if ratio_digits is None else ratio_digits)
            if baseline
            else None
        ),
        "goal": goal,
        "meets": meets,
    }


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """The load generator's heap frozen as `atende serve` freezes the server's (atende.heap):
    its own full collections, over everything it holds (seeded rows, signed requests, sockets,
    latencies), would stall its clients and be counted as the server's latency."""
    freezer = heap.install()
    try:
        yield
    finally:
        heap.uninstall(freezer)


def postgres_server_url() -> str | None:
    """The PostgreSQL server to measure on as well: ATENDE_BENCH_POSTGRES_URL, else the one the
    tests use (ATENDE_TEST_DATABASE_URL), else none (SQLite only)."""
    return os.environ.get("ATENDE_BENCH_POSTGRES_URL") or os.environ.get("ATENDE_TEST_DATABASE_URL")


async def insert_workers(
    session: AsyncSession,
    workspace_sid: str,
    activity_sid: str,
    channels: Sequence[str],
    indexes: range,
    attributes: Callable[[int], str],
    now: datetime,
    *,
    capacity: int = 1,
    name_digits: int = 5,
) -> list[str]:
    """Available workers `agent{index}` for `indexes`, on every one of `channels` with
    `capacity`, inserted as rows (the figures are about serving them, not about creating them
    through the API); returns their SIDs. One `now` for a whole seeding keeps every worker
    equally idle, however many batches it takes."""
    workers: list[dict[str, Any]] = [
        {
            "sid": new_sid("WK"),
            "workspace_sid": workspace_sid,
            "friendly_name": f"agent{index:0{name_digits}d}",
            "attributes": attributes(index),
            "activity_sid": activity_sid,
            "available": True,
            "date_status_changed": now,
            "idle_since": now,
            "version": 0,
            "date_created": now,
            "date_updated": now,
        }
        for index in indexes
    ]
    await session.execute(insert(models.Worker), workers)
    await session.execute(
        insert(models.WorkerChannel),
        [
            {
                "sid": new_sid("WC"),
                "workspace_sid": workspace_sid,
                "worker_sid": worker["sid"],
                "task_channel_sid": channel,
                "configured_capacity": capacity,
                "available": True,
                "idle_since": now,
                "date_created": now,
                "date_updated": now,
            }
            for worker in workers
            for channel in channels
        ],
    )
    return [worker["sid"] for worker in workers]


@contextlib.asynccontextmanager
async def seeding_runtime(database_url: str) -> AsyncIterator[Runtime]:
    """A Runtime on `database_url` for seeding through the services: with the routing manager
    TaskRouterService needs, without background jobs (the server under test runs those), and
    its connections closed afterwards, so the server is the only process using the database."""
    settings = replace(Settings.from_env({}), database_url=database_url, run_background=False)
    runtime = Runtime(settings)
    runtime.services[MANAGER_KEY] = RoutingManager(runtime)
    try:
        yield runtime
    finally:
        await runtime.engine.dispose()


async def one_queue_workflow(
    service: TaskRouterService, workspace_sid: str, reservation_timeout: int | None = None
) -> models.Workflow:
    """Queue "All" holding every worker, and workflow "All" sending every task to it: the router
    has no filter to weigh, so the figures are about serving, not about routing rules.
    `reservation_timeout` (seconds; the service's default if None) longer than the run keeps
    offers from expiring mid-run."""
    queue = await service.create_task_queue(workspace_sid, "All", target_workers="1==1")
    configuration = {"task_routing": {"default_filter": {"queue": queue.sid}}}
    return await service.create_workflow(
        workspace_sid,
        "All",
        json.dumps(configuration),
        task_reservation_timeout=reservation_timeout,
    )


async def asgi_post(app: Any, path: str, body: bytes, headers: dict[str, str]) -> int:
    """One request straight into the ASGI app: no client, no socket, so the CPU measured is
    the server's own."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": (HOST, 1),
        "server": (HOST, 80),
    }
    delivered = False
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]
