"""Messaging tests run against local fakes of the providers; background jobs are driven by hand
(`drain`) so each test decides when webhooks are processed and messages are sent."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from twilio.request_validator import RequestValidator

from atende.app import create_app
from atende.config import Settings
from atende.flows.runner import FlowRunner
from atende.messaging.hub import MessagingHub
from atende.ops.calendar import ContinuousCalendar
from tests.conftest import LiveServer, free_port
from tests.fakes.graph_api import FakeGraphAPI, fake_graph_api
from tests.fakes.twilio_messages import FakeTwilioMessages, fake_twilio_messages
from tests.messaging import meta_payloads as meta

TWILIO_NUMBER = "+551140028922"


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with fake_graph_api() as fake:
        yield fake


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioMessages]:
    with fake_twilio_messages() as fake:
        yield fake


def messaging_settings(
    settings: Settings, graph: FakeGraphAPI, twilio: FakeTwilioMessages
) -> Settings:
    return dataclasses.replace(
        settings,
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        twilio_number=TWILIO_NUMBER,
        twilio_api_base=twilio.url,
        whatsapp_app_secret=meta.APP_SECRET,
        whatsapp_verify_token=meta.VERIFY_TOKEN,
        whatsapp_access_token=graph.access_token,
        whatsapp_phone_number_id=meta.PHONE_NUMBER_ID,
        whatsapp_graph_base=graph.url,
        run_background=False,
    )


@pytest.fixture
async def app(
    settings: Settings, graph: FakeGraphAPI, twilio_api: FakeTwilioMessages
) -> AsyncIterator[FastAPI]:
    """The app configured for the fake providers (shadows the shared `app`)."""
    application = create_app(messaging_settings(settings, graph, twilio_api), migrate=False)
    async with application.router.lifespan_context(application):
        yield application


def prepare(messaging: MessagingHub) -> MessagingHub:
    """The bot's business hours always open, and no waiting between retries."""
    messaging.bot.runner = FlowRunner(calendars={"atendimento": ContinuousCalendar("24x7")})
    messaging.outbound.retry_base = 0.0
    messaging.media.retry_base = 0.0
    return messaging


@pytest.fixture
def hub(app: FastAPI) -> MessagingHub:
    """The node's messaging hub (tests drive its jobs by hand with `drain`)."""
    return prepare(app.state.runtime.services["messaging"])


@contextlib.contextmanager
def live_messaging_server(configured: Settings) -> Iterator[LiveServer]:
    """A real uvicorn server of `configured` (its public URL set to where it listens), with
    its background jobs running, for sockets and browsers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    configured = dataclasses.replace(configured, public_url=url, run_background=True)
    application = create_app(configured, migrate=False)
    prepare(application.state.runtime.services["messaging"])
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning")
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=lambda: loop.run_until_complete(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("messaging server did not start")
        time.sleep(0.02)
    yield LiveServer(url=url, app=application, server=server, thread=thread, loop=loop)
    server.should_exit = True
    thread.join(timeout=10)
    loop.close()


@pytest.fixture
def messaging_server(
    settings: Settings, graph: FakeGraphAPI, twilio_api: FakeTwilioMessages
) -> Iterator[LiveServer]:
    """A real uvicorn server with its background jobs running, for sockets and browsers."""
    with live_messaging_server(messaging_settings(settings, graph, twilio_api)) as server:
        yield server


async def post_meta(
    client: httpx.AsyncClient, document: dict[str, Any], secret: str = meta.APP_SECRET
) -> httpx.Response:
    body = meta.encode(document)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta.sign(body, secret)}
    return await client.post("/webhooks/whatsapp", content=body, headers=headers)


async def post_twilio(
    client: httpx.AsyncClient, form: dict[str, str], auth_token: str
) -> httpx.Response:
    """Post a form signed the way Twilio signs it (full URL plus sorted parameters)."""
    url = "http://testserver/webhooks/twilio/messaging"
    signature = RequestValidator(auth_token).compute_signature(url, form)
    return await client.post(
        "/webhooks/twilio/messaging", data=form, headers={"X-Twilio-Signature": signature}
    )


async def drain(hub: MessagingHub, rounds: int = 10) -> None:
    """Run the background jobs until nothing is left to do (bounded)."""
    for _ in range(rounds):
        worked = await hub.inbound.process_pending()
        worked += await hub.outbound.deliver_due()
        worked += await hub.media.fetch_due()
        if worked == 0:
            return
