"""The TaskRouter-compatible API through HTTP, on a real `atende serve` at 127.0.0.1.

* 5,000 workers online (one workspace, every worker eligible, capacity 1 on the task channel):
  - tasks created per second as concurrency doubles, until throughput stops growing
    (saturation), beside the same framework's bare endpoint (`/healthz`) at that concurrency;
  - at 100 tasks/s, the time from sending the create request to the `reservation.created`
    event arriving on the workspace push stream (the WebSocket agents' desks use): p50 and p99,
    beside the bare endpoint's round trip at the same rate.
* 10,000 workers online in a second workspace: the server's memory growth when it loads them,
  and the same latency figure.
* With `ATENDE_BENCH_POSTGRES_URL` (or `ATENDE_TEST_DATABASE_URL`) set, the 5,000-worker latency
  again on PostgreSQL.

Workers are seeded straight into the database (the figure is about serving, not seeding); the
server loads them like any restart would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import websockets
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from atende import heap
from atende.auth.models import Role
from atende.auth.service import AuthService
from atende.config import Settings
from atende.db.migrate import upgrade_async
from atende.runtime import Runtime
from atende.sids import new_sid
from atende.taskrouter import models
from atende.taskrouter.routing_manager import RoutingManager
from atende.taskrouter.service import TaskRouterService
from atende.taskrouter.service_base import MANAGER_KEY

ATENDE = Path(sys.executable).with_name("atende")
HOST = "127.0.0.1"
RATE = 100
LATENCY_SECONDS = 5
SEQUENTIAL = 150
WARM_UP = 20
LATENCY_GOAL_MS = 20.0
THROUGHPUT_GOAL = 100.0
ROUND_TASKS = 300
MEMORY_GOAL_MB = 300.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# ------------------------------------------------------------------------------- seeding


@dataclass
class Seeded:
    account_sid: str
    auth_token: str
    stream_token: str
    workspace_sid: str
    workflow_sid: str


async def seed(database_url: str, workers: int, *, with_account: Seeded | None = None) -> Seeded:
    """A workspace with `workers` available workers, one queue and one workflow."""
    settings = replace(Settings.from_env({}), database_url=database_url, run_background=False)
    runtime = Runtime(settings)
    runtime.services[MANAGER_KEY] = RoutingManager(runtime)
    try:
        async with runtime.sessions() as session:
            if with_account is None:
                auth = AuthService(session)
                account = await auth.create_account("bench")
                token = await auth.create_token("bench stream", Role.SUPERVISOR)
                account_sid, auth_token = account.account_sid, account.auth_token
            else:
                account_sid, auth_token = with_account.account_sid, with_account.auth_token
                token = with_account.stream_token
            service = TaskRouterService(session, runtime)
            workspace = await service.create_workspace(account_sid, f"bench {workers}")
            queue = await service.create_task_queue(workspace.sid, "All", target_workers="1==1")
            configuration = {"task_routing": {"default_filter": {"queue": queue.sid}}}
            # Offers outlive the run: timeouts firing mid-run would measure something else.
            workflow = await service.create_workflow(
                workspace.sid, "All", json.dumps(configuration), task_reservation_timeout=3600
            )
            available = next(
                sid
                for sid, activity in (
                    await service.routing(workspace.sid)
                ).engine.activities.items()
                if activity.available
            )
            channels = list((await service.routing(workspace.sid)).engine.task_channels)
            await session.commit()
        await _insert_workers(runtime, workspace.sid, available, channels, workers)
        return Seeded(account_sid, auth_token, token, workspace.sid, workflow.sid)
    finally:
        await runtime.engine.dispose()


async def _insert_workers(
    runtime: Runtime, workspace_sid: str, activity_sid: str, channels: list[str], count: int
) -> None:
    """In transactions of a thousand, so a running server is never kept waiting long."""
    now = datetime.now(UTC)
    for start in range(0, count, 1000):
        workers = [
            {
                "sid": new_sid("WK"),
                "workspace_sid": workspace_sid,
                "friendly_name": f"agent{index:05d}",
                "attributes": json.dumps({"skills": [f"s{index % 50}"], "languages": ["pt"]}),
                "activity_sid": activity_sid,
                "available": True,
                "date_status_changed": now,
                "idle_since": now,
                "version": 0,
                "date_created": now,
                "date_updated": now,
            }
            for index in range(start, min(start + 1000, count))
        ]
        async with runtime.sessions() as session:
            await _insert_batch(session, workers, channels, now, workspace_sid)
            await session.commit()


async def _insert_batch(
    session: Any,
    workers: list[dict[str, Any]],
    channels: list[str],
    now: datetime,
    workspace_sid: str,
) -> None:
    await session.execute(insert(models.Worker), workers)
    await session.execute(
        insert(models.WorkerChannel),
        [
            {
                "sid": new_sid("WC"),
                "workspace_sid": workspace_sid,
                "worker_sid": worker["sid"],
                "task_channel_sid": channel,
                "configured_capacity": 1,
                "available": True,
                "idle_since": now,
                "date_created": now,
                "date_updated": now,
            }
            for worker in workers
            for channel in channels
        ],
    )


# -------------------------------------------------------------------------------- server


class Server:
    def __init__(self, database_url: str, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.database_url = database_url
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "ATENDE_DATABASE_URL": self.database_url}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(ATENDE), "serve", "--host", HOST, "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + self.log.read_text()[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def rss_mb(self) -> float:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def tail(self) -> str:
        """The end of the server's log, for a failed run's report."""
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ------------------------------------------------------------------------------- traffic


class Reservations:
    """Arrival times of `reservation.created` events on the workspace stream, by task SID."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.ready = asyncio.Event()

    async def follow(self, server: Server, seeded: Seeded) -> None:
        url = (
            f"ws://{HOST}:{server.port}/api/stream/workspaces/{seeded.workspace_sid}"
            f"?token={seeded.stream_token}"
        )
        async with websockets.connect(url, max_size=None) as socket_:
            self.ready.set()
            async for message in socket_:
                event = json.loads(message)
                if event.get("event_type") == "reservation.created":
                    self.arrived.setdefault(event["task_sid"], time.perf_counter())


@contextlib.asynccontextmanager
async def following(server: Server, seeded: Seeded) -> AsyncIterator[Reservations]:
    reservations = Reservations()
    task = asyncio.create_task(reservations.follow(server, seeded))
    await asyncio.wait_for(reservations.ready.wait(), 30)
    await asyncio.sleep(0.2)
    try:
        yield reservations
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def _client(server: Server, seeded: Seeded, connections: int = 64) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        base_url=server.url,
        auth=(seeded.account_sid, seeded.auth_token),
        limits=limits,
        timeout=60,
    )


async def _create_task(http: httpx.AsyncClient, seeded: Seeded) -> str:
    """One create; a kept-alive connection the server closed meanwhile is retried (the time
    lost counts in the latency, as it would for a real client)."""
    for attempt in range(3):
        try:
            response = await http.post(
                f"/v1/Workspaces/{seeded.workspace_sid}/Tasks",
                data={"WorkflowSid": seeded.workflow_sid, "Attributes": '{"type":"call"}'},
            )
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
            if attempt == 2:
                raise
            continue
        response.raise_for_status()
        return str(response.json()["sid"])
    raise AssertionError("unreachable")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _paced(count: int, rate: float | None, one: Any) -> None:
    """`count` calls of `one`: sent at `rate` per second whatever the answers (open loop), or
    one after another when `rate` is None."""
    if rate is None:
        for _ in range(count):
            await one()
        return
    tasks = []
    begin = time.perf_counter()
    for index in range(count):
        await asyncio.sleep(max(0.0, begin + index / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)


async def task_latency(
    server: Server, seeded: Seeded, count: int, rate: float | None = RATE
) -> list[float]:
    """Milliseconds from sending a create to its `reservation.created` event on the stream.

    A second of the same traffic goes first, unmeasured: it opens the client's connections, so
    the figure is the steady state, not TCP set-up."""
    async with _client(server, seeded) as http, following(server, seeded) as reservations:
        warm_up = WARM_UP if rate is None else round(rate)
        await _paced(warm_up, rate, lambda: _create_task(http, seeded))
        sent: dict[str, float] = {}

        async def one() -> None:
            started = time.perf_counter()
            sid = await _create_task(http, seeded)
            sent[sid] = started

        await _paced(count, rate, one)
        deadline = time.perf_counter() + 10
        while len(reservations.arrived.keys() & sent.keys()) < len(sent):
            if time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.05)
        return [
            (reservations.arrived[sid] - started) * 1000
            for sid, started in sent.items()
            if sid in reservations.arrived
        ]


async def bare_latency(server: Server, count: int, rate: float | None = RATE) -> list[float]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        latencies: list[float] = []

        async def one() -> None:
            started = time.perf_counter()
            (await http.get("/healthz")).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)

        await _paced(count, rate, one)
        return latencies


async def _closed_loop(concurrency: int, total: int, request: Any) -> float:
    """Requests per second with `concurrency` clients sending back to back."""
    remaining = total

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await request()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return total / (time.perf_counter() - started)


async def saturation(server: Server, seeded: Seeded, budget: int) -> tuple[float, int]:
    """Double the concurrency until tasks/s grows by less than 10 %; (best rate, concurrency)."""
    best, best_concurrency, previous, concurrency = 0.0, 1, 0.0, 1
    async with _client(server, seeded) as http:
        while budget >= ROUND_TASKS and concurrency <= 64:
            rate = await _closed_loop(concurrency, ROUND_TASKS, lambda: _create_task(http, seeded))
            budget -= ROUND_TASKS
            if rate > best:
                best, best_concurrency = rate, concurrency
            if rate < previous * 1.1:
                break
            previous = rate
            concurrency *= 2
    return best, best_concurrency


async def bare_throughput(server: Server, concurrency: int) -> float:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:

        async def request() -> None:
            (await http.get("/healthz")).raise_for_status()

        return await _closed_loop(concurrency, ROUND_TASKS * 2, request)


# ------------------------------------------------------------------------------ scenarios


def _entry(
    name: str, value: float, unit: str, baseline: float, goal: str, meets: bool | None
) -> dict[str, Any]:
    return {
        "name": name,
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2),
        "ratio": round(value / baseline, 2) if baseline else None,
        "goal": goal,
        "meets": meets,
    }


async def latency_figures(label: str, server: Server, seeded: Seeded) -> list[dict[str, Any]]:
    """At RATE tasks/s (the goal), then one task at a time: the service time by itself."""
    sent = RATE * LATENCY_SECONDS
    bare = await bare_latency(server, sent // 2)
    latencies = await task_latency(server, seeded, sent)
    alone_bare = await bare_latency(server, SEQUENTIAL, rate=None)
    alone = await task_latency(server, seeded, SEQUENTIAL, rate=None)
    p99 = _percentile(latencies, 0.99)
    return [
        _entry(
            f"{label}: create → reservation event on the push stream, p99 at {RATE} tasks/s",
            p99,
            "ms",
            _percentile(bare, 0.99),
            f"< {LATENCY_GOAL_MS:.0f} ms",
            p99 < LATENCY_GOAL_MS and len(latencies) == sent,
        ),
        _entry(
            f"{label}: create → reservation event, p50 at {RATE} tasks/s",
            statistics.median(latencies),
            "ms",
            statistics.median(bare),
            "",
            None,
        ),
        _entry(
            f"{label}: create → reservation event, p99 one task at a time",
            _percentile(alone, 0.99),
            "ms",
            _percentile(alone_bare, 0.99),
            "",
            None,
        ),
    ]


async def sqlite_scenarios(directory: Path) -> list[dict[str, Any]]:
    database_url = f"sqlite:///{directory / 'bench.db'}"
    await upgrade_async(database_url)
    five = await seed(database_url, 5_000)
    server = Server(database_url, directory / "server.log")
    server.start()
    results: list[dict[str, Any]] = []
    try:
        results += await latency_figures("SQLite, 5,000 workers", server, five)
        rate, concurrency = await saturation(server, five, 2_000)
        baseline = await bare_throughput(server, concurrency)
        results.append(
            _entry(
                "SQLite, 5,000 workers: tasks created per second at saturation "
                f"({concurrency} clients)",
                rate,
                "tasks/s",
                baseline,
                f">= {THROUGHPUT_GOAL:.0f} tasks/s",
                rate >= THROUGHPUT_GOAL,
            )
        )
        ten = await seed(database_url, 10_000, with_account=five)
        before = server.rss_mb()
        async with _client(server, ten) as http:
            (await http.get(f"/v1/Workspaces/{ten.workspace_sid}/Workers")).raise_for_status()
        grown = server.rss_mb() - before
        results.append(
            _entry(
                "10,000 workers: server memory added by loading the workspace",
                grown,
                "MB",
                before,
                f"< {MEMORY_GOAL_MB:.0f} MB",
                grown < MEMORY_GOAL_MB,
            )
        )
        results += await latency_figures("SQLite, 10,000 workers", server, ten)
    except Exception:
        print(server.tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
    return results


async def postgres_scenario(admin_url: str, directory: Path) -> list[dict[str, Any]]:
    admin = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"atende_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    database_url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    server = Server(database_url, directory / "server-pg.log")
    try:
        await upgrade_async(database_url)
        five = await seed(database_url, 5_000)
        server.start()
        return await latency_figures("PostgreSQL, 5,000 workers", server, five)
    except Exception:
        print(server.tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


async def _run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="atende-bench-") as folder:
        directory = Path(folder)
        results = await sqlite_scenarios(directory)
        postgres = os.environ.get("ATENDE_BENCH_POSTGRES_URL") or os.environ.get(
            "ATENDE_TEST_DATABASE_URL"
        )
        if postgres:
            results += await postgres_scenario(postgres, directory)
        return results


def run() -> list[dict[str, Any]]:
    # The load generator's own full collections (it holds the seeded rows) would be counted as
    # the server's latency; the server does the same (`atende serve`).
    freezer = heap.install()
    try:
        return asyncio.run(_run())
    finally:
        heap.uninstall(freezer)


if __name__ == "__main__":
    for entry in run():
        print(entry)
