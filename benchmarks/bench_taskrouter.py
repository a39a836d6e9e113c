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
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import harness
import websockets

from atende.auth.models import Role
from atende.auth.service import AuthService
from atende.db.migrate import upgrade_async
from atende.runtime import Runtime
from atende.taskrouter.service import TaskRouterService

RATE = 100
LATENCY_SECONDS = 5
SEQUENTIAL = 150
WARM_UP = 20
LATENCY_GOAL_MS = 20.0
THROUGHPUT_GOAL = 100.0
ROUND_TASKS = 300
MEMORY_GOAL_MB = 300.0


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
    async with harness.seeding_runtime(database_url) as runtime:
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
            # Offers outlive the run: timeouts firing mid-run would measure something else.
            workflow = await harness.one_queue_workflow(service, workspace.sid, 3600)
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


async def _insert_workers(
    runtime: Runtime, workspace_sid: str, activity_sid: str, channels: list[str], count: int
) -> None:
    """In transactions of a thousand, so a running server is never kept waiting long."""
    now = datetime.now(UTC)
    for start in range(0, count, 1000):
        async with runtime.sessions() as session:
            await harness.insert_workers(
                session,
                workspace_sid,
                activity_sid,
                channels,
                range(start, min(start + 1000, count)),
                lambda index: json.dumps({"skills": [f"s{index % 50}"], "languages": ["pt"]}),
                now,
            )
            await session.commit()


# ------------------------------------------------------------------------------- traffic


class Reservations:
    """Arrival times of `reservation.created` events on the workspace stream, by task SID."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.ready = asyncio.Event()

    async def follow(self, server: harness.Server, seeded: Seeded) -> None:
        url = (
            f"ws://{harness.HOST}:{server.port}/api/stream/workspaces/{seeded.workspace_sid}"
            f"?token={seeded.stream_token}"
        )
        async with websockets.connect(url, max_size=None) as socket_:
            self.ready.set()
            async for message in socket_:
                event = json.loads(message)
                if event.get("event_type") == "reservation.created":
                    self.arrived.setdefault(event["task_sid"], time.perf_counter())


@contextlib.asynccontextmanager
async def following(server: harness.Server, seeded: Seeded) -> AsyncIterator[Reservations]:
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


@contextlib.asynccontextmanager
async def _client(
    server: harness.Server, seeded: Seeded | None = None, connections: int = 64
) -> AsyncIterator[aiohttp.ClientSession]:
    """aiohttp rather than httpx: several times cheaper per request, so at 100 requests/s on
    two cores the load generator's own event loop does not fall behind and add its delays to
    the server's latency (with httpx it stalled 15-130 ms at a time here)."""
    auth = None if seeded is None else aiohttp.BasicAuth(seeded.account_sid, seeded.auth_token)
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(
        server.url, auth=auth, connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as http:
        yield http


async def _create_task(http: aiohttp.ClientSession, seeded: Seeded) -> str:
    """One create; a kept-alive connection the server closed meanwhile is retried (the time
    lost counts in the latency, as it would for a real client)."""
    for attempt in range(3):
        try:
            async with http.post(
                f"/v1/Workspaces/{seeded.workspace_sid}/Tasks",
                data={"WorkflowSid": seeded.workflow_sid, "Attributes": '{"type":"call"}'},
            ) as response:
                response.raise_for_status()
                return str((await response.json())["sid"])
        except aiohttp.ClientConnectionError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _get_ok(http: aiohttp.ClientSession, path: str) -> None:
    async with http.get(path) as response:
        response.raise_for_status()
        await response.read()


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
    server: harness.Server, seeded: Seeded, count: int, rate: float | None = RATE
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


async def bare_latency(
    server: harness.Server, count: int, rate: float | None = RATE
) -> list[float]:
    async with _client(server) as http:
        latencies: list[float] = []

        async def one() -> None:
            started = time.perf_counter()
            await _get_ok(http, "/healthz")
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


async def saturation(server: harness.Server, seeded: Seeded, budget: int) -> tuple[float, int]:
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


async def bare_throughput(server: harness.Server, concurrency: int) -> float:
    async with _client(server) as http:

        async def request() -> None:
            await _get_ok(http, "/healthz")

        return await _closed_loop(concurrency, ROUND_TASKS * 2, request)


# ------------------------------------------------------------------------------ scenarios


async def latency_figures(
    label: str, server: harness.Server, seeded: Seeded
) -> list[dict[str, Any]]:
    """At RATE tasks/s (the goal), then one task at a time: the service time by itself."""
    sent = RATE * LATENCY_SECONDS
    bare = await bare_latency(server, sent // 2)
    latencies = await task_latency(server, seeded, sent)
    alone_bare = await bare_latency(server, SEQUENTIAL, rate=None)
    alone = await task_latency(server, seeded, SEQUENTIAL, rate=None)
    p99 = harness.percentile(latencies, 0.99)
    return [
        harness.entry(
            f"{label}: create → reservation event on the push stream, p99 at {RATE} tasks/s",
            p99,
            "ms",
            harness.percentile(bare, 0.99),
            f"< {LATENCY_GOAL_MS:.0f} ms",
            p99 < LATENCY_GOAL_MS and len(latencies) == sent,
        ),
        harness.entry(
            f"{label}: create → reservation event, p50 at {RATE} tasks/s",
            statistics.median(latencies),
            "ms",
            statistics.median(bare),
            "",
            None,
        ),
        harness.entry(
            f"{label}: create → reservation event, p99 one task at a time",
            harness.percentile(alone, 0.99),
            "ms",
            harness.percentile(alone_bare, 0.99),
            "",
            None,
        ),
    ]


async def sqlite_scenarios(directory: Path) -> list[dict[str, Any]]:
    database_url = f"sqlite:///{directory / 'bench.db'}"
    await upgrade_async(database_url)
    five = await seed(database_url, 5_000)
    server = harness.Server(directory / "server.log", {"ATENDE_DATABASE_URL": database_url})
    server.start()
    results: list[dict[str, Any]] = []
    try:
        results += await latency_figures("SQLite, 5,000 workers", server, five)
        rate, concurrency = await saturation(server, five, 2_000)
        baseline = await bare_throughput(server, concurrency)
        results.append(
            harness.entry(
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
            await _get_ok(http, f"/v1/Workspaces/{ten.workspace_sid}/Workers")
        grown = server.rss_mb() - before
        results.append(
            harness.entry(
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
    with harness.postgres_database(admin_url, "atende_bench_") as database_url:
        server = harness.Server(directory / "server-pg.log", {"ATENDE_DATABASE_URL": database_url})
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


async def _run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="atende-bench-") as folder:
        directory = Path(folder)
        results = await sqlite_scenarios(directory)
        postgres = harness.postgres_server_url()
        if postgres:
            results += await postgres_scenario(postgres, directory)
        return results


def run() -> list[dict[str, Any]]:
    # The load generator holds the seeded rows: see `harness.frozen_heap`.
    with harness.frozen_heap():
        return asyncio.run(_run())


if __name__ == "__main__":
    for row in run():
        print(row)
