"""`/webhooks/twilio/voice…`: Twilio's requests, checked, stored, then answered.

Each request is verified against the auth token of a channel of the posting account, over the
URL Twilio requested (ATENDE_PUBLIC_URL plus path and query); a forged or unsigned request gets
403 and nothing is stored. A verified one is stored under its key and committed before the
answer goes back (with the others that arrived meanwhile: `atende.voice.batch`); a replay of a
stored key gets the first answer again and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from atende.channels.connector import SignatureError
from atende.channels.twilio_voice import TwilioVoiceConnector, form_params, webhook_key
from atende.flows.runner import LookupAnswers
from atende.plain_routes import Endpoint, plain_post
from atende.runtime import Runtime
from atende.voice.batch import batcher
from atende.voice.controls import CallService
from atende.voice.directory import directory
from atende.voice.models import Call, VoiceChannel
from atende.voice.repository import IncomingWebhook, VoiceRepository
from atende.voice.service import gather_lookups, inbound_lookups
from atende.voice.urls import PREFIX

router = APIRouter(tags=["twilio voice webhooks"], include_in_schema=False)

TWIML = "application/xml"
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'

Handler = Callable[[CallService, VoiceChannel, Call | None, dict[str, str]], Awaitable[str]]
Ahead = Callable[[Runtime, VoiceChannel, dict[str, str]], Awaitable[LookupAnswers]]
"""What a handler does before the transaction, given the request's parameters (ours prefixed
`q.`): the flow's lookups, so that no transaction waits on a CRM."""


def _post(path: str) -> Callable[[Endpoint], Endpoint]:
    """A plain Starlette route (see `atende.plain_routes`: Twilio waits on these)."""
    return plain_post(router, PREFIX + path)


def _public_url(runtime: Runtime, request: Request) -> str:
    query = request.url.query
    return f"{runtime.settings.public_url.rstrip('/')}{request.url.path}" + (
        f"?{query}" if query else ""
    )


async def _verified_channel(
    runtime: Runtime, url: str, headers: Mapping[str, str], body: bytes
) -> tuple[VoiceChannel, dict[str, str]] | None:
    params = form_params(body)
    channels = await directory(runtime).for_account(params.get("AccountSid", ""))
    tried: set[str] = set()
    for channel in channels:
        if channel.auth_token in tried:
            continue
        tried.add(channel.auth_token)
        try:
            TwilioVoiceConnector(channel.auth_token).verify_form(url, headers, params)
        except SignatureError:
            continue
        return _by_number(channels, params.get("To", ""), channel), params
    return None


def _by_number(
    channels: Sequence[VoiceChannel], number: str, fallback: VoiceChannel
) -> VoiceChannel:
    """Several numbers of one account share its token; the call's `To` picks the channel."""
    for channel in channels:
        if channel.phone_number == number and channel.auth_token == fallback.auth_token:
            return channel
    return fallback


async def receive(
    request: Request, kind: str, handler: Handler, ahead: Ahead | None = None
) -> Response:
    runtime: Runtime = request.app.state.runtime
    body = await request.body()
    found = await _verified_channel(runtime, _public_url(runtime, request), request.headers, body)
    if found is None:
        return Response("invalid Twilio signature", status_code=403, media_type="text/plain")
    channel, params = found
    query = dict(request.query_params)
    webhook = IncomingWebhook(
        webhook_key(kind, params, query.get("step")), kind, params.get("CallSid"), params
    )
    given = {**params, **_prefixed(query)}
    lookups = None if ahead is None else await ahead(runtime, channel, given)

    async def store_and_handle(session: AsyncSession) -> str:
        # The transaction's first statement is a write (the batch's webhooks are stored
        # first): on SQLite a transaction that read first could not write after another one
        # committed meanwhile.
        repo = VoiceRepository(session)
        stored = await repo.store_webhook(webhook.key, kind, webhook.call_sid, params)
        if stored is None:
            return await repo.webhook_reply(webhook.key) or EMPTY
        service = CallService(session, runtime)
        service.lookups = lookups
        call = await repo.call(query["call"], lock=True) if query.get("call") else None
        reply = await handler(service, channel, call, given)
        await repo.set_webhook_reply(stored, webhook.key, reply)
        return reply

    new_call = kind == "voice" and "CallSid" in params
    reply = await batcher(runtime).run(store_and_handle, new_call=new_call, webhook=webhook)
    return Response(reply, media_type=TWIML)


def _prefixed(query: Mapping[str, str]) -> dict[str, str]:
    """Our own query parameters, kept apart from Twilio's (which are capitalised)."""
    return {f"q.{key}": value for key, value in query.items()}


def _query(params: Mapping[str, str]) -> dict[str, str]:
    return {key[2:]: value for key, value in params.items() if key.startswith("q.")}


async def _inbound(
    service: CallService, channel: VoiceChannel, call: Call | None, params: dict[str, str]
) -> str:
    if "CallSid" not in params:
        return EMPTY
    return await service.inbound(channel, params)


async def _gather(
    service: CallService, channel: VoiceChannel, call: Call | None, params: dict[str, str]
) -> str:
    if call is None:
        return EMPTY
    return await service.gather(call, _step(params), params)


def _step(params: Mapping[str, str]) -> int:
    step = _query(params).get("step", "")
    return int(step) if step.isdigit() else -1


async def _gather_ahead(
    runtime: Runtime, channel: VoiceChannel, params: dict[str, str]
) -> LookupAnswers:
    call_sid = _query(params).get("call")
    if not call_sid:
        return {}
    return await gather_lookups(runtime, channel, call_sid, _step(params), params)


async def _recorded(
    service: CallService, channel: VoiceChannel, call: Call | None, params: dict[str, str]
) -> str:
    return EMPTY if call is None else await service.recorded(call, params)


async def _callback_offer(
    service: CallService, channel: VoiceChannel, call: Call | None, params: dict[str, str]
) -> str:
    return EMPTY if call is None else await service.callback_offer(call, params)


async def _status(
    service: CallService, channel: VoiceChannel, call: Call | None, params: dict[str, str]
) -> str:
    await service.call_status(params, _query(params))
    return EMPTY


async def _conference(
    service: CallService, channel: VoiceChannel, call: Call | None, params: dict[str, str]
) -> str:
    await service.conference_event(params, _query(params))
    return EMPTY


async def _recording(
    service: CallService, channel: VoiceChannel, call: Call | None, params: dict[str, str]
) -> str:
    await service.recording_event(params, _query(params))
    return EMPTY


async def _join(
    service: CallService, channel: VoiceChannel, call: Call | None, params: dict[str, str]
) -> str:
    if call is None:
        return EMPTY
    query = _query(params)
    return await service.join_twiml(call, query.get("role", "agent"), query.get("worker"))


@_post("")
async def inbound_call(request: Request) -> Response:
    return await receive(request, "voice", _inbound, inbound_lookups)


@_post("/gather")
async def gathered(request: Request) -> Response:
    return await receive(request, "gather", _gather, _gather_ahead)


@_post("/recorded")
async def recorded(request: Request) -> Response:
    return await receive(request, "recorded", _recorded)


@_post("/callback-offer")
async def callback_offer(request: Request) -> Response:
    return await receive(request, "callback-offer", _callback_offer)


@_post("/status")
async def call_status(request: Request) -> Response:
    return await receive(request, "status", _status)


@_post("/conference")
async def conference_status(request: Request) -> Response:
    return await receive(request, "conference", _conference)


@_post("/recording")
async def recording_status(request: Request) -> Response:
    return await receive(request, "recording", _recording)


@_post("/join")
async def join(request: Request) -> Response:
    return await receive(request, "join", _join)


async def _read_only(
    request: Request, render: Callable[[CallService, Call | None], Awaitable[str]]
) -> Response:
    """waitUrl and holdUrl are fetched again and again: checked, but not stored."""
    runtime: Runtime = request.app.state.runtime
    body = await request.body()
    found = await _verified_channel(runtime, _public_url(runtime, request), request.headers, body)
    if found is None:
        return Response("invalid Twilio signature", status_code=403, media_type="text/plain")
    async with runtime.sessions() as session:
        service = CallService(session, runtime)
        sid = request.query_params.get("call")
        call = await service.repo.call(sid) if sid else None
        return Response(await render(service, call), media_type=TWIML)


async def _wait_room(service: CallService, call: Call | None) -> str:
    return EMPTY if call is None else await service.waiting_room(call)


async def _hold(service: CallService, call: Call | None) -> str:
    return service.hold_music()


@_post("/wait")
async def wait(request: Request) -> Response:
    return await _read_only(request, _wait_room)


@_post("/hold")
async def hold(request: Request) -> Response:
    return await _read_only(request, _hold)
