"""Provider webhooks: checked, stored durably, answered, and only then processed.

Nothing is stored from a request whose signature fails (403). The answer goes back as soon as
the items are committed, so Meta's and Twilio's latency targets hold whatever the bot or the
routing do with them afterwards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Protocol

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy.exc import OperationalError

from atende.channels.connector import SignatureError
from atende.conversations.items import RawItem
from atende.deps import RuntimeDep, runtime_of
from atende.errors import Problem
from atende.messaging.hub import MessagingHub
from atende.plain_routes import plain_post
from atende.runtime import Runtime


class WebhookSource(Protocol):
    def verify(self, url: str, headers: Mapping[str, str], body: bytes) -> None: ...

    def parse(self, body: bytes, content_type: str) -> Sequence[RawItem]: ...


router = APIRouter(prefix="/webhooks", tags=["webhooks"], include_in_schema=False)


def hub_of(runtime: Runtime) -> MessagingHub:
    hub: MessagingHub = runtime.services["messaging"]
    return hub


def public_url(runtime: Runtime, request: Request) -> str:
    """The URL the provider signed: the public base plus the path and query it called."""
    query = f"?{request.url.query}" if request.url.query else ""
    return runtime.settings.public_url.rstrip("/") + request.url.path + query


@router.get("/whatsapp")
async def whatsapp_verification(
    runtime: RuntimeDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str, Query(alias="hub.challenge")] = "",
) -> PlainTextResponse:
    try:
        answer = hub_of(runtime).meta.subscription_challenge(mode, token, challenge)
    except SignatureError as exc:
        raise Problem(403, "Forbidden", str(exc)) from exc
    return PlainTextResponse(answer)


@plain_post(router, "/webhooks/whatsapp")
async def whatsapp_events(request: Request) -> Response:
    runtime = runtime_of(request)
    hub = hub_of(runtime)
    return await _receive(request, runtime, hub, hub.meta)


@plain_post(router, "/webhooks/twilio/messaging")
async def twilio_messaging(request: Request) -> Response:
    """Inbound SMS/WhatsApp and status callbacks; Twilio wants TwiML or an empty answer."""
    runtime = runtime_of(request)
    hub = hub_of(runtime)
    await _receive(request, runtime, hub, hub.twilio)
    return Response("<Response/>", media_type="application/xml")


async def _receive(
    request: Request,
    runtime: Runtime,
    hub: MessagingHub,
    connector: WebhookSource,
) -> Response:
    body = await request.body()
    try:
        connector.verify(public_url(runtime, request), request.headers, body)
    except SignatureError as exc:
        raise Problem(403, "Forbidden", str(exc)) from exc
    try:
        items = connector.parse(body, request.headers.get("content-type", ""))
    except ValueError as exc:
        raise Problem(400, "Bad webhook", str(exc)) from exc
    try:
        await hub.writer.store(items)
    except OperationalError as exc:
        # Not stored, so not acknowledged: the provider retries later.
        raise Problem(503, "Busy", "the webhook could not be stored; retry") from exc
    return Response(status_code=200)
