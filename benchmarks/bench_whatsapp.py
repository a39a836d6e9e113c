"""Inbound WhatsApp webhooks from Meta, on a real `atende serve` at 127.0.0.1 (SQLite).

Each request is what Meta posts: a JSON body signed with the app secret (X-Hub-Signature-256).
Atende checks the signature, stores each message under its wamid (a tenth of the requests are
repeats, as Meta's retries are, and must change nothing) and answers; its background job then
opens the conversation with a protocol number, runs the bot (greeting and menu, then the
customer's choice) and hands the conversation to TaskRouter, which reserves an agent. The bot's
answers go to a local stand-in for the Graph API.

* webhooks acknowledged per second with 32 clients sending back to back, beside the same
  framework's bare endpoint (`/healthz`) measured the same way in the same run, while the
  server processes what it acknowledged (as it would in production);
* the same webhooks processed end to end per second: from the first request until every
  conversation was routed (all the customers' tasks exist);
* p99 latency with webhooks sent at 1,000 per second (open loop), beside the bare endpoint's;
  the backlog this leaves is processed after the run (only its storage is checked).

Goals (the issue's): 2,000 webhooks per second per process, p99 under 250 ms. Signatures are
computed before the clock starts. The load comes from aiohttp in this process: httpx costs so
much more per request that it, not the server, set the bare figure. The server runs the app of
`atende serve` with the bot's business hours always open, so the run does not depend on the
hour. The machine is shared: compare ratios across runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
import harness
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atende import heap
from atende.config import Settings
from atende.conversations.models import InboundEvent
from atende.db.migrate import upgrade_async
from atende.runtime import Runtime
from atende.taskrouter import models
from atende.taskrouter.service import TaskRouterService

APP_SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "106540352242922"
WORKERS = 200
CAPACITY = 50
CONCURRENCY = 32
CONNECTIONS = 64
CUSTOMERS = 250  # two messages each (hello, menu choice), plus a repeat of every fifth
RATE = 1_000
LATENCY_SECONDS = 2
RATE_GOAL = 2_000.0
P99_GOAL_MS = 250.0
PROCESSING_TIMEOUT = 180.0


# --- the stand-in for Meta's Graph API, for the bot's answers ----------------------------------


@contextlib.contextmanager
def fake_graph() -> Iterator[str]:
    class Graph(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Meta's Graph API

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = json.dumps({"messages": [{"id": "wamid." + secrets.token_hex(12)}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            return

    class GraphServer(ThreadingHTTPServer):
        # Meta's Graph API takes a sender's burst of connections (the send rate allows 80 at
        # once); socketserver's backlog of 5 reset some of them, and the server's retries of
        # those sends were counted as its work.
        request_queue_size = 128

    server = GraphServer((harness.HOST, 0), Graph)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{harness.HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- the contact center the conversations are routed in ---------------------------------------


async def seed(database_url: str) -> str:
    """A workspace with a whatsapp channel, WORKERS agents of CAPACITY chats; returns the
    workflow's SID."""
    await upgrade_async(database_url)
    async with harness.seeding_runtime(database_url) as runtime:
        async with runtime.sessions() as session:
            service = TaskRouterService(session, runtime)
            workspace = await service.create_workspace("AC" + secrets.token_hex(16), "bench wa")
            await service.create_task_channel(workspace.sid, "WhatsApp", "whatsapp")
            workflow = await harness.one_queue_workflow(service, workspace.sid)
            engine = (await service.routing(workspace.sid)).engine
            available = next(sid for sid, a in engine.activities.items() if a.available)
            channels = list(engine.task_channels)
            await session.commit()
        async with runtime.sessions() as session:
            await _insert_workers(session, workspace.sid, available, channels)
            await session.commit()
        return workflow.sid


async def _insert_workers(
    session: AsyncSession, workspace_sid: str, activity_sid: str, channels: list[str]
) -> None:
    await harness.insert_workers(
        session,
        workspace_sid,
        activity_sid,
        channels,
        range(WORKERS),
        lambda _index: "{}",
        datetime.now(UTC),
        capacity=CAPACITY,
        name_digits=4,
    )


async def progress(database_url: str) -> tuple[int, int, int]:
    """(stored webhook items, items processed, whatsapp tasks)."""
    runtime = Runtime(replace(Settings.from_env({}), database_url=database_url))
    try:
        async with runtime.sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(InboundEvent))
            done = await session.scalar(
                select(func.count())
                .select_from(InboundEvent)
                .where(InboundEvent.state != "pending")
            )
            tasks = await session.scalar(select(func.count()).select_from(models.Task))
        return int(stored or 0), int(done or 0), int(tasks or 0)
    finally:
        await runtime.engine.dispose()


# --- the server ------------------------------------------------------------------------------


def whatsapp_server(database_url: str, workflow_sid: str, graph: str, log: Path) -> harness.Server:
    """This file's `--serve` (the app of `atende serve`, the bot always open) with a WhatsApp
    channel whose Graph API is `graph`."""
    env = {
        "ATENDE_DATABASE_URL": database_url,
        "ATENDE_PUBLIC_URL": "{url}",
        "ATENDE_WHATSAPP_APP_SECRET": APP_SECRET,
        "ATENDE_WHATSAPP_ACCESS_TOKEN": "bench-token",
        "ATENDE_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "ATENDE_WHATSAPP_GRAPH_BASE": graph,
        "ATENDE_DEFAULT_WORKFLOW_SID": workflow_sid,
    }
    return harness.Server(log, env, command=(sys.executable, __file__, "--serve", "{port}"))


# --- the webhooks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    body: bytes
    signature: str


def _webhook(wa_id: str, message: dict[str, Any]) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "551140040000", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": f"Cliente {wa_id[-4:]}"}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "timestamp": str(int(time.time())), **message}],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def _sign(document: dict[str, Any]) -> Signed:
    body = json.dumps(document, separators=(",", ":")).encode()
    digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return Signed(body, f"sha256={digest}")


def conversations(customers: int, first: int) -> list[list[Signed]]:
    """Per customer, in order: hello, the menu choice, and for every fifth a repeat of hello."""
    scripts = []
    for index in range(first, first + customers):
        wa_id = f"55119{index:08d}"
        hello = _sign(
            _webhook(wa_id, {"id": f"wamid.{wa_id}.1", "type": "text", "text": {"body": "Oi"}})
        )
        choice = _sign(
            _webhook(
                wa_id,
                {
                    "id": f"wamid.{wa_id}.2",
                    "type": "interactive",
                    "interactive": {
                        "type": "list_reply",
                        "list_reply": {"id": "sinistro", "title": "Sinistro"},
                    },
                },
            )
        )
        scripts.append([hello, choice, hello] if index % 5 == 0 else [hello, choice])
    return scripts


Send = Callable[[aiohttp.ClientSession, str, Signed | None], Awaitable[None]]


async def send_webhook(http: aiohttp.ClientSession, base: str, signed: Signed | None) -> None:
    assert signed is not None
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signed.signature}
    async with http.post(f"{base}/webhooks/whatsapp", data=signed.body, headers=headers) as answer:
        body = await answer.read()
        if answer.status != 200:
            raise RuntimeError(f"webhook failed: {answer.status} {body[:200]!r}")


async def send_bare(http: aiohttp.ClientSession, base: str, _signed: Signed | None) -> None:
    async with http.get(f"{base}/healthz") as answer:
        await answer.read()
        answer.raise_for_status()


@contextlib.asynccontextmanager
async def _client() -> AsyncIterator[aiohttp.ClientSession]:
    """aiohttp rather than httpx: several times cheaper per request, so the client process can
    offer more than the server takes (httpx capped the bare endpoint near 1,200/s). At most
    CONNECTIONS kept-alive connections, as a provider's sender holds: a request finding them
    all busy waits its turn, and that wait counts in its latency."""
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        yield http


async def closed_loop(
    server: harness.Server, send: Send, scripts: list[list[Signed | None]]
) -> float:
    """Requests per second, CONCURRENCY clients back to back; a customer's webhooks in order."""
    queue = iter(scripts)
    total = sum(len(script) for script in scripts)
    async with _client() as http:

        async def client() -> None:
            for script in queue:
                for signed in script:
                    await send(http, server.url, signed)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        return total / (time.perf_counter() - started)


async def open_loop(server: harness.Server, send: Send, items: list[Signed | None]) -> list[float]:
    """Milliseconds per request when RATE requests a second go regardless of the answers."""
    latencies: list[float] = []
    async with _client() as http:

        async def one(item: Signed | None, due: float) -> None:
            await send(http, server.url, item)
            # From when it was due, not when it left: a late sender must not hide latency.
            latencies.append((time.perf_counter() - due) * 1000)

        begin = time.perf_counter()
        tasks = []
        for index, item in enumerate(items):
            due = begin + index / RATE
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(item, due)))
        await asyncio.gather(*tasks)
    return latencies


async def wait_processed(database_url: str, expected_items: int, expected_tasks: int) -> None:
    deadline = time.monotonic() + PROCESSING_TIMEOUT
    while time.monotonic() < deadline:
        stored, done, tasks = await progress(database_url)
        if done >= expected_items and tasks >= expected_tasks:
            return
        await asyncio.sleep(0.1)
    stored, done, tasks = await progress(database_url)
    raise RuntimeError(f"processing stalled: {done}/{stored} items, {tasks} tasks")


async def measure(database_url: str | None = None) -> dict[str, float]:
    """On a fresh SQLite file, or on a fresh database at `database_url` (PostgreSQL)."""
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="atende-bench-wa-"))
        graph = stack.enter_context(fake_graph())
        if database_url is None:
            database_url = f"sqlite:///{Path(folder) / 'atende.db'}"
        else:
            database_url = stack.enter_context(
                harness.postgres_database(database_url, "atende_bench_wa_")
            )
        workflow_sid = await seed(database_url)
        server = whatsapp_server(database_url, workflow_sid, graph, Path(folder) / "server.log")
        server.start()
        try:
            scripts: list[list[Signed | None]] = [[*s] for s in conversations(CUSTOMERS, 0)]
            unique = 2 * CUSTOMERS
            bare: list[list[Signed | None]] = [[None] for _ in range(sum(map(len, scripts)))]
            await closed_loop(server, send_bare, bare[:200])  # warm the connections up
            bare_rate = await closed_loop(server, send_bare, bare)
            started = time.perf_counter()
            rate = await closed_loop(server, send_webhook, scripts)
            await wait_processed(database_url, unique, CUSTOMERS)
            end_to_end = sum(map(len, scripts)) / (time.perf_counter() - started)

            offered = RATE * LATENCY_SECONDS
            later = [script[:2] for script in conversations(offered // 2, CUSTOMERS)]
            items: list[Signed | None] = [signed for script in later for signed in script]
            bare_latencies = await open_loop(server, send_bare, [None] * len(items))
            latencies = await open_loop(server, send_webhook, items)
        except Exception as error:
            raise RuntimeError(server.tail()) from error
        finally:
            server.stop()
        stored, _done, _tasks = await progress(database_url)
    if stored != unique + 2 * len(later):
        raise RuntimeError(f"repeats were stored: {stored} items for {unique} messages")
    return {
        "rate": rate,
        "end_to_end": end_to_end,
        "bare_rate": bare_rate,
        "p99": harness.percentile(latencies, 0.99),
        "bare_p99": harness.percentile(bare_latencies, 0.99),
    }


def run() -> list[dict[str, Any]]:
    """On SQLite; also on PostgreSQL when ATENDE_BENCH_POSTGRES_URL names a server.

    The load generator holds every signed webhook: see `harness.frozen_heap`."""
    with harness.frozen_heap():
        entries = entries_for("whatsapp", asyncio.run(measure()))
        postgres = os.environ.get("ATENDE_BENCH_POSTGRES_URL")
        if postgres:
            entries += entries_for("whatsapp (PostgreSQL)", asyncio.run(measure(postgres)))
        return entries


def entries_for(label: str, figures: dict[str, float]) -> list[dict[str, Any]]:
    bare = figures["bare_rate"]
    rates = (
        ("rate", "signed webhooks acknowledged/s (checked, stored, deduplicated)"),
        ("end_to_end", "webhooks processed end to end/s (bot, conversation routed)"),
    )
    return [
        *(
            harness.entry(
                f"{label}: {what}",
                figures[key],
                "req/s",
                bare,
                f">= {RATE_GOAL:.0f}/s",
                figures[key] >= RATE_GOAL,
                digits=1,
                ratio_digits=3,
            )
            for key, what in rates
        ),
        harness.entry(
            f"{label}: webhook p99 at {RATE}/s",
            figures["p99"],
            "ms",
            figures["bare_p99"],
            f"< {P99_GOAL_MS:.0f} ms",
            figures["p99"] < P99_GOAL_MS,
            digits=1,
            ratio_digits=3,
        ),
    ]


def serve(port: int) -> None:
    """`atende serve` as it runs in production (same app, same uvicorn settings), with the
    bot's business hours always open so the run does not depend on the hour of the day."""
    import uvicorn

    from atende.app import create_app
    from atende.flows.runner import FlowRunner
    from atende.ops.calendar import around_the_clock

    app = create_app()
    hub = app.state.runtime.services["messaging"]
    hub.bot.runner = FlowRunner(calendars={"atendimento": around_the_clock()})
    heap.install()
    uvicorn.run(app, host=harness.HOST, port=port, log_level="info")


# --- per-message cost, in this process (`--profile`): CPU and SQL statements ----------------


async def profile(show: int = 0) -> dict[str, float]:
    """Server CPU (process time) and SQL statements per webhook acknowledged, per message
    processed and per bot answer sent, CUSTOMERS conversations as in the benchmark (webhooks
    CONCURRENCY at a time);
    `show` > 0 prints that many functions of the processing's cProfile by own time."""
    import cProfile
    import pstats

    from sqlalchemy import event

    from atende.app import create_app
    from atende.flows.runner import FlowRunner
    from atende.ops.calendar import around_the_clock

    with tempfile.TemporaryDirectory(prefix="atende-profile-wa-") as folder, fake_graph() as graph:
        database_url = f"sqlite:///{Path(folder) / 'atende.db'}"
        workflow_sid = await seed(database_url)
        settings = replace(
            Settings.from_env({}),
            database_url=database_url,
            whatsapp_app_secret=APP_SECRET,
            whatsapp_access_token="bench-token",
            whatsapp_phone_number_id=PHONE_NUMBER_ID,
            whatsapp_graph_base=graph,
            default_workflow_sid=workflow_sid,
            run_background=False,
        )
        app = create_app(settings, migrate=False)
        async with app.router.lifespan_context(app):
            hub = app.state.runtime.services["messaging"]
            hub.bot.runner = FlowRunner(calendars={"atendimento": around_the_clock()})
            statements = 0

            def counted(*_args: object) -> None:
                nonlocal statements
                statements += 1

            event.listen(app.state.runtime.engine.sync_engine, "before_cursor_execute", counted)
            scripts = conversations(CUSTOMERS, 0)
            waves = [
                [script[turn] for script in scripts if len(script) > turn] for turn in range(3)
            ]
            requests = [signed for wave in waves for signed in wave]
            unique = 2 * CUSTOMERS

            cpu = time.process_time()
            for wave in waves:  # every customer's hello, then their choices, then the repeats
                for start in range(0, len(wave), CONCURRENCY):
                    batch = wave[start : start + CONCURRENCY]
                    answers = await asyncio.gather(
                        *(
                            harness.asgi_post(
                                app,
                                "/webhooks/whatsapp",
                                signed.body,
                                {
                                    "content-type": "application/json",
                                    "x-hub-signature-256": signed.signature,
                                },
                            )
                            for signed in batch
                        )
                    )
                    assert set(answers) == {200}, answers
            ack_cpu = time.process_time() - cpu
            ack_statements, statements = statements, 0

            profiler = cProfile.Profile()
            cpu = time.process_time()
            if show:
                profiler.enable()
            while await hub.inbound.process_pending():
                pass
            profiler.disable()
            processing_cpu = time.process_time() - cpu
            stored, done, tasks = await progress(database_url)
            assert done == unique and tasks == CUSTOMERS, (stored, done, tasks)
            processing_statements, statements = statements, 0

            # The bot's answers, sent to the stand-in Graph API; thread time, as the stand-in
            # answers from threads of this same process.
            cpu = time.thread_time()
            sent = 0
            while delivered := await hub.outbound.deliver_due():
                sent += delivered
            outbound_cpu = time.thread_time() - cpu
        if show:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(show)
    return {
        "ack_cpu_ms": 1000 * ack_cpu / len(requests),
        "ack_statements": ack_statements / len(requests),
        "processing_cpu_ms": 1000 * processing_cpu / unique,
        "processing_statements": processing_statements / unique,
        "outbound_cpu_ms": 1000 * outbound_cpu / max(sent, 1),
        "outbound_statements": statements / max(sent, 1),
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) >= 2 and sys.argv[1] == "--profile":
        shown = int(sys.argv[2]) if len(sys.argv) == 3 else 0
        heap.install()  # as the server's (`atende serve`)
        print(asyncio.run(profile(shown)))
    else:
        for row in run():
            print(row)
