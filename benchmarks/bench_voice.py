"""Inbound calls through Twilio's voice webhook, on a real `atende serve` at 127.0.0.1 (SQLite).

Each request is what Twilio sends when a call arrives: a form signed with the channel's auth
token over the public URL. Atende checks the signature, stores the webhook under its CallSid,
issues a protocol number, runs the channel's flow (greeting, then straight to the queue: the
figure is about the webhook path, not menu depth), creates the `voice` task and routes it (5,000
available agents, so every task is reserved), and answers with TwiML.

* webhooks per second with 32 clients sending back to back, beside the same framework's bare
  endpoint (`/healthz`) measured the same way in the same run; goal: at least a quarter of it;
* p99 latency with requests sent at 500 per second (open loop), beside the bare endpoint's at
  the same rate; goal: under 100 ms.

Signatures are computed before the clock starts, so the client's HMACs are not measured. The
load comes from aiohttp in this process, for the webhooks and the bare endpoint alike (httpx
cost so much per request that it, not the server, set the bare figure).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import harness
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from twilio.request_validator import RequestValidator

from atende.config import Settings
from atende.db.migrate import upgrade_async
from atende.runtime import Runtime
from atende.taskrouter import models
from atende.taskrouter.service import TaskRouterService
from atende.voice.channels import ChannelService

WORKERS = 5_000
CONCURRENCY = 32
WARM_UP_REQUESTS = 200
THROUGHPUT_REQUESTS = 600
BARE_REQUESTS = 3_000
RATE = 500
LATENCY_SECONDS = 2
RATIO_GOAL = 0.25
P99_GOAL_MS = 100.0
COMPANY_NUMBER = "+551140040000"
QUICK_FLOW = {
    "name": "bench",
    "start": "saudacao",
    "nodes": {
        "saudacao": {
            "type": "say",
            "text": "Olá! Seu protocolo é {protocol_digits}.",
            "next": "fila",
        },
        "fila": {"type": "handoff", "attributes": {"motivo": "apolice"}},
    },
}


@dataclass
class Seeded:
    account_sid: str
    auth_token: str
    workspace_sid: str


async def seed(database_url: str) -> Seeded:
    """A workspace with WORKERS available agents, one queue, and a voice channel routed there."""
    await upgrade_async(database_url)
    account_sid, auth_token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    async with harness.seeding_runtime(database_url) as runtime:
        async with runtime.sessions() as session:
            service = TaskRouterService(session, runtime)
            workspace = await service.create_workspace(account_sid, "bench voice")
            workflow = await harness.one_queue_workflow(service, workspace.sid)
            engine = (await service.routing(workspace.sid)).engine
            available = next(sid for sid, a in engine.activities.items() if a.available)
            channels = list(engine.task_channels)
            await ChannelService(session).create(
                name="bench",
                phone_number=COMPANY_NUMBER,
                account_sid=account_sid,
                auth_token=auth_token,
                workflow_sid=workflow.sid,
                flow=QUICK_FLOW,
                record_calls=False,
            )
            await session.commit()
        async with runtime.sessions() as session:
            await _insert_workers(session, workspace.sid, available, channels)
            await session.commit()
        return Seeded(account_sid, auth_token, workspace.sid)


async def _insert_workers(
    session: AsyncSession, workspace_sid: str, activity_sid: str, channels: list[str]
) -> None:
    now = datetime.now(UTC)
    for start in range(0, WORKERS, 1000):
        await harness.insert_workers(
            session,
            workspace_sid,
            activity_sid,
            channels,
            range(start, min(start + 1000, WORKERS)),
            lambda index: json.dumps({"contact_uri": f"client:agent{index}"}),
            now,
        )


async def count_voice_tasks(database_url: str, workspace_sid: str) -> tuple[int, int]:
    """(tasks, tasks routed into a queue): evidence every webhook was routed, not just answered."""
    runtime = Runtime(replace(Settings.from_env({}), database_url=database_url))
    try:
        async with runtime.sessions() as session:
            total = await session.scalar(
                select(func.count())
                .select_from(models.Task)
                .where(models.Task.workspace_sid == workspace_sid)
            )
            routed = await session.scalar(
                select(func.count())
                .select_from(models.Task)
                .where(
                    models.Task.workspace_sid == workspace_sid,
                    models.Task.task_queue_sid.is_not(None),
                )
            )
        return int(total or 0), int(routed or 0)
    finally:
        await runtime.engine.dispose()


def signed_calls(base_url: str, seeded: Seeded, count: int) -> list[tuple[dict[str, str], str]]:
    """`count` distinct incoming calls, each form with its X-Twilio-Signature over `base_url`."""
    url = f"{base_url}/webhooks/twilio/voice"
    validator = RequestValidator(seeded.auth_token)
    calls = []
    for index in range(count):
        form = {
            "AccountSid": seeded.account_sid,
            "CallSid": "CA" + secrets.token_hex(16),
            "From": f"+55119{index:08d}",
            "To": COMPANY_NUMBER,
            "CallStatus": "ringing",
            "Direction": "inbound",
        }
        calls.append((form, validator.compute_signature(url, form)))
    return calls


Send = Callable[[aiohttp.ClientSession, str, int], Awaitable[None]]


def webhook_sender(calls: list[tuple[dict[str, str], str]]) -> Send:
    async def send(http: aiohttp.ClientSession, base: str, index: int) -> None:
        form, signature = calls[index]
        headers = {"X-Twilio-Signature": signature}
        async with http.post(f"{base}/webhooks/twilio/voice", data=form, headers=headers) as answer:
            text = await answer.text()
            if answer.status != 200 or "<Conference" not in text:
                raise RuntimeError(f"webhook failed: {answer.status} {text[:200]}")

    return send


async def bare_sender(http: aiohttp.ClientSession, base: str, index: int) -> None:
    async with http.get(f"{base}/healthz") as answer:
        await answer.read()
        answer.raise_for_status()


@contextlib.asynccontextmanager
async def _client() -> AsyncIterator[aiohttp.ClientSession]:
    """aiohttp rather than httpx: several times cheaper per request, so on two cores the
    client does not cap the bare endpoint's figure (httpx held it near 60-200/s here, aiohttp
    lets it reach well over 1,000/s)."""
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        yield http


async def closed_loop(server: harness.Server, send: Send, total: int) -> float:
    """Requests per second with CONCURRENCY clients sending back to back."""
    counter = iter(range(total))
    async with _client() as http:

        async def client() -> None:
            for index in counter:
                await send(http, server.url, index)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        return total / (time.perf_counter() - started)


async def open_loop(server: harness.Server, send: Send, offset: int) -> list[float]:
    """Milliseconds per request when RATE requests a second are sent regardless of answers."""
    latencies: list[float] = []
    async with _client() as http:

        async def one(index: int) -> None:
            started = time.perf_counter()
            await send(http, server.url, offset + index)
            latencies.append((time.perf_counter() - started) * 1000)

        begin = time.perf_counter()
        tasks = []
        for index in range(RATE * LATENCY_SECONDS):
            await asyncio.sleep(max(0.0, begin + index / RATE - time.perf_counter()))
            tasks.append(asyncio.create_task(one(index)))
        await asyncio.gather(*tasks)
    return latencies


async def measure() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="atende-bench-voice-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'atende.db'}"
        seeded = await seed(database_url)
        server = harness.Server(
            Path(folder) / "server.log",
            {
                "ATENDE_DATABASE_URL": database_url,
                "ATENDE_PUBLIC_URL": "{url}",
                "ATENDE_TWILIO_API_BASE": f"http://{harness.HOST}:9",
            },
        )
        server.start()
        try:
            total = WARM_UP_REQUESTS + THROUGHPUT_REQUESTS + RATE * LATENCY_SECONDS
            calls = signed_calls(server.url, seeded, total)
            send = webhook_sender(calls[WARM_UP_REQUESTS:])
            await closed_loop(server, bare_sender, WARM_UP_REQUESTS)  # warm up the connections
            # and the webhook path, as the bare endpoint's: SQL compiled, flow parsed, channels
            # cached (the first batch cost tens of ms inside a 600-request window)
            await closed_loop(server, webhook_sender(calls[:WARM_UP_REQUESTS]), WARM_UP_REQUESTS)
            bare_rate = await closed_loop(server, bare_sender, BARE_REQUESTS)
            rate = await closed_loop(server, send, THROUGHPUT_REQUESTS)
            bare_latencies = await open_loop(server, bare_sender, 0)
            latencies = await open_loop(server, send, THROUGHPUT_REQUESTS)
        except Exception as error:
            raise RuntimeError(server.tail(6000)) from error
        finally:
            server.stop()
        tasks, routed = await count_voice_tasks(database_url, seeded.workspace_sid)
    if tasks != total or routed != total:
        raise RuntimeError(f"{total} webhooks but {tasks} tasks, {routed} routed")
    return {
        "rate": rate,
        "bare_rate": bare_rate,
        "p99": harness.percentile(latencies, 0.99),
        "bare_p99": harness.percentile(bare_latencies, 0.99),
    }


def run() -> list[dict[str, Any]]:
    # The load generator holds the signed forms and the latencies: see `harness.frozen_heap`.
    with harness.frozen_heap():
        figures = asyncio.run(measure())
    ratio = figures["rate"] / figures["bare_rate"]
    return [
        harness.entry(
            "voice: signed inbound-call webhooks/s (checked, stored, task routed)",
            figures["rate"],
            "req/s",
            figures["bare_rate"],
            f">= {RATIO_GOAL} x bare endpoint",
            ratio >= RATIO_GOAL,
            digits=1,
            ratio_digits=3,
        ),
        harness.entry(
            f"voice: inbound-call webhook p99 at {RATE}/s",
            figures["p99"],
            "ms",
            figures["bare_p99"],
            f"< {P99_GOAL_MS:.0f} ms",
            figures["p99"] < P99_GOAL_MS,
            digits=1,
            ratio_digits=3,
        ),
    ]


# --- per-webhook cost, in this process (`--profile`): CPU and SQL statements ----------------

PROFILE_CALLS = int(os.environ.get("PROFILE_CALLS", "1024"))
PROFILE_URL = "http://bench.invalid"
PROFILE_SORT = os.environ.get("PROFILE_SORT", "tottime")


async def profile(show: int = 0) -> dict[str, float]:
    """Server CPU (process time) and SQL statements per inbound-call webhook, PROFILE_CALLS of
    them CONCURRENCY at a time into the ASGI app (no sockets, no client: the CPU is the
    server's own), background jobs off; `show` > 0 prints that many functions of a cProfile of
    the run by own time. Stable on a loaded machine, where the rates of `run` are not."""
    import cProfile
    import pstats
    from urllib.parse import urlencode

    from sqlalchemy import event

    from atende.app import create_app

    with tempfile.TemporaryDirectory(prefix="atende-profile-voice-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'atende.db'}"
        seeded = await seed(database_url)
        settings = replace(
            Settings.from_env({}),
            database_url=database_url,
            public_url=PROFILE_URL,
            twilio_api_base=f"http://{harness.HOST}:9",
            run_background=False,
        )
        app = create_app(settings, migrate=False)
        calls = signed_calls(PROFILE_URL, seeded, CONCURRENCY + PROFILE_CALLS)
        requests = [
            (
                urlencode(form).encode(),
                {
                    "content-type": "application/x-www-form-urlencoded",
                    "x-twilio-signature": signature,
                },
            )
            for form, signature in calls
        ]

        async def send(wave: list[tuple[bytes, dict[str, str]]]) -> None:
            answers = await asyncio.gather(
                *(harness.asgi_post(app, "/webhooks/twilio/voice", *request) for request in wave)
            )
            assert set(answers) == {200}, answers

        async with app.router.lifespan_context(app):
            await send(requests[:CONCURRENCY])  # loads the workspace, warms the caches
            statements = 0

            def counted(*_args: object) -> None:
                nonlocal statements
                statements += 1

            event.listen(app.state.runtime.engine.sync_engine, "before_cursor_execute", counted)
            profiler = cProfile.Profile()
            cpu = time.process_time()
            if show:
                profiler.enable()
            for start in range(CONCURRENCY, len(requests), CONCURRENCY):
                await send(requests[start : start + CONCURRENCY])
            profiler.disable()
            cpu = time.process_time() - cpu
        tasks, routed = await count_voice_tasks(database_url, seeded.workspace_sid)
    assert tasks == routed == len(requests), (tasks, routed)
    if show:
        pstats.Stats(profiler).sort_stats(PROFILE_SORT).print_stats(show)
    return {
        "cpu_ms": 1000 * cpu / PROFILE_CALLS,
        "statements": statements / PROFILE_CALLS,
    }


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--profile":
        shown = int(sys.argv[2]) if len(sys.argv) == 3 else 0
        with harness.frozen_heap():  # as the server's (`atende serve`)
            print(asyncio.run(profile(shown)))
    else:
        for row in run():
            print(row)
