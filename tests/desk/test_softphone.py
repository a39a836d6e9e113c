"""The browser softphone's server side: the desk offers it only for a Twilio voice channel,
serves the Twilio Voice SDK that npm installed, and gives a token only to an agent."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from atende.desk import static_files
from atende.taskrouter.service import TaskRouterService
from tests.desk.conftest import Browser
from tests.desk.contact_center import TWILIO_AUTH_TOKEN, ContactCenter, add_voice_channel

PHONE = "+5511911112222"
OpenBrowser = Callable[..., AbstractAsyncContextManager[Browser]]
SDK_INSTALLED = static_files.vendor_path("twilio-voice.min.js") is not None
needs_sdk = pytest.mark.skipif(
    not SDK_INSTALLED, reason="the Twilio Voice SDK is installed by `make install` (npm ci)"
)


async def softphone_of(client: httpx.AsyncClient) -> Any:
    response = await client.get("/api/desk/agent")
    assert response.status_code == 200, response.text
    return response.json()["softphone"]


async def test_no_softphone_without_a_twilio_channel(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    await add_voice_channel(app.state.runtime, center, kind="sandbox")
    async with browser("ana") as ana:
        assert await softphone_of(ana) is None


async def test_no_softphone_for_an_agent_reached_at_a_phone_number(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    await add_voice_channel(app.state.runtime, center)
    async with app.state.runtime.sessions() as session:
        await TaskRouterService(session, app.state.runtime).update_worker(
            center.workspace_sid,
            center.workers["bruno"],
            attributes={"contact_uri": "+5511911112222"},
        )
        await session.commit()
    async with browser("bruno") as bruno:
        assert await softphone_of(bruno) is None
    async with browser("ana") as ana:
        assert await softphone_of(ana) is not None


@needs_sdk
async def test_a_twilio_channel_gives_the_agent_a_softphone_and_its_sdk(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    channel_sid = await add_voice_channel(app.state.runtime, center)
    async with browser("ana") as ana:
        softphone = await softphone_of(ana)
        assert softphone["channel_sid"] == channel_sid
        assert softphone["sdk_url"].startswith("/desk/static/vendor/twilio-voice.min.js?v=")
        bundle = await ana.get(softphone["sdk_url"])
    assert bundle.status_code == 200
    assert bundle.headers["content-type"] == "text/javascript; charset=utf-8"
    assert bundle.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "Twilio.Device" in bundle.text and "@twilio/voice-sdk" in bundle.text


async def test_without_npm_the_softphone_says_its_sdk_is_missing(
    app: FastAPI,
    center: ContactCenter,
    browser: OpenBrowser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(static_files, "NODE_MODULES", tmp_path)
    await add_voice_channel(app.state.runtime, center)
    async with browser("ana") as ana:
        assert (await softphone_of(ana))["sdk_url"] is None
        missing = await ana.get("/desk/static/vendor/twilio-voice.min.js")
        unknown = await ana.get("/desk/static/vendor/jquery.js")
    assert missing.status_code == 404 and "make install" in missing.json()["detail"]
    assert unknown.status_code == 404


async def test_the_token_is_the_agents_own_and_refused_to_others(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser, client: httpx.AsyncClient
) -> None:
    channel_sid = await add_voice_channel(app.state.runtime, center)
    async with browser("ana") as ana:
        answer = await ana.get("/api/voice/token", params={"channel_sid": channel_sid})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["identity"] == "ana"  # the worker's contact_uri is client:ana
    claims = jwt.decode(body["token"], TWILIO_AUTH_TOKEN, algorithms=["HS256"])
    assert claims["grants"]["identity"] == "ana"
    assert claims["grants"]["voice"]["incoming"] == {"allow": True}
    assert claims["exp"] - claims["nbf"] == body["ttl"]

    async with browser("supervisora", "/supervisor") as supervisor:
        refused = await supervisor.get("/api/voice/token", params={"channel_sid": channel_sid})
    assert refused.status_code == 403
    assert "agent" in refused.json()["detail"]
    anonymous = await client.get("/api/voice/token", params={"channel_sid": channel_sid})
    assert anonymous.status_code == 401
