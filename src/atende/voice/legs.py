"""Learning a dialled leg's CallSid from Twilio's answer, before any callback about it arrives.

Twilio answers a new participant or call with its CallSid; the request's StatusCallback URL says
which call, role and worker it is for. Knowing the leg early lets Atende hang it up if the
caller is gone before the agent even answered."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from atende.events.models import OutboxMessage
from atende.events.outbox import ReplyHandler
from atende.runtime import Runtime
from atende.voice.controls import CallService
from atende.voice.writer import writing

OVER = ("wrapup", "ended")


def _first(values: dict[str, list[str]], name: str) -> str | None:
    found = values.get(name)
    return found[0] if found else None


async def record_leg(runtime: Runtime, message: OutboxMessage, response: httpx.Response) -> None:
    try:
        answer = response.json()
    except ValueError:
        return
    if not isinstance(answer, dict):
        return
    carrier_sid = answer.get("call_sid") or answer.get("sid")
    form = parse_qs(message.body)
    callback = _first(form, "StatusCallback")
    if not carrier_sid or not callback:
        return
    query = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
    if not query.get("call") or not query.get("role"):
        return
    async with writing(runtime), runtime.sessions() as session:
        calls = CallService(session, runtime)
        call = await calls.repo.call_first(query["call"])
        if call is None:
            return
        leg = await calls.repo.ensure_leg(
            carrier_sid, query["call"], query["role"], query.get("worker"), _first(form, "To") or ""
        )
        await calls.adopt_customer_leg(call, leg)
        if call.stage in OVER and call.connected_at is None and leg.role != "customer":
            # The caller left while this leg was being placed: don't let it ring on.
            await calls.end_leg(call, carrier_sid)
        await session.commit()


def reply_handler(runtime: Runtime) -> ReplyHandler:
    async def handle(message: OutboxMessage, response: httpx.Response) -> None:
        await record_leg(runtime, message, response)

    return handle
