"""The browser softphone in a real Chromium: with a Twilio voice channel configured, the agent
desktop loads the Twilio Voice SDK that npm installed, fetches a token from our endpoint and
registers a Device. Twilio is out of reach here (the network is closed), so the panel must say
the phone is offline; it must never claim to be ready."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Request, expect

from atende.desk.static_files import vendor_path
from tests.desk.contact_center import add_voice_channel
from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in

pytestmark = [
    pytest.mark.e2e,
    needs_chromium,
    pytest.mark.skipif(
        vendor_path("twilio-voice.min.js") is None,
        reason="the Twilio Voice SDK is installed by `make install` (npm ci)",
    ),
]


def test_the_agent_desktop_registers_a_softphone_and_shows_its_real_state(
    desk: Desk, browser: Browser
) -> None:
    runtime = desk.server.app.state.runtime
    channel_sid = desk.server.call(add_voice_channel(runtime, desk.center))
    context = new_context(browser, real_twilio_sdk=True)
    page = context.new_page()
    requests: list[Request] = []
    page.on("requestfinished", lambda request: requests.append(request))
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    sign_in(page, desk, "ana")
    expect(page).to_have_url(f"{desk.url}/agent")

    panel = page.get_by_label("Telefone do navegador")
    expect(panel).to_be_visible()
    page.wait_for_function("() => typeof window.Twilio?.Device === 'function'")
    page.wait_for_function("() => window.deskSoftphone?.device instanceof window.Twilio.Device")
    state = page.locator("#softphone-state")
    expect(state).to_have_attribute("data-state", "offline", timeout=20_000)
    expect(state).to_have_text("Desconectado")
    expect(page.locator(".softphone-detail")).not_to_be_empty()
    screenshot(page, "agent-softphone")
    # Trying again goes to Twilio again, and says so honestly when it still cannot.
    tried = len([url for url in sockets if "twilio.com" in url])
    assert tried >= 1, sockets
    page.get_by_role("button", name="Reconectar").click()
    expect(state).to_have_attribute("data-state", "offline", timeout=20_000)
    assert len([url for url in sockets if "twilio.com" in url]) > tried, sockets

    tokens = [r for r in requests if r.url.startswith(f"{desk.url}/api/voice/token")]
    assert tokens, "the page never asked our endpoint for a token"
    assert f"channel_sid={channel_sid}" in tokens[0].url
    token = tokens[0].response()
    assert token is not None and token.status == 200
    assert page.evaluate("() => window.deskSoftphone.device.identity") in ("ana", None)
    sdk = [r for r in requests if re.search(r"/desk/static/vendor/twilio-voice\.min\.js", r.url)]
    assert sdk, "the page never loaded the Voice SDK"
    script = sdk[0].response()
    assert script is not None and script.headers["content-type"].startswith("text/javascript")

    page.get_by_role("button", name="EN").click()
    expect(page.locator("#softphone-state")).to_have_text("Offline", timeout=20_000)
    context.close()
