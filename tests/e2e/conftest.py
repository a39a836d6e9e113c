"""Browser tests: a real server with messaging against the fake Graph API, the desk's contact
center seeded, and Debian's Chromium driven by Playwright. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from tests.conftest import LiveServer
from tests.desk.contact_center import PASSWORD, ContactCenter, seed
from tests.fakes.graph_api import FakeGraphAPI
from tests.messaging import meta_payloads as meta
from tests.messaging.conftest import graph, messaging_server, twilio_api

__all__ = ["graph", "messaging_server", "twilio_api"]

T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# The Twilio Voice SDK would dial Twilio's servers from the test browser (refused here: error
# 31005 on every agent page with a voice channel); every page gets the recording double instead.
SDK_DOUBLE = Path(__file__).with_name("twilio_voice_double.js")
TWILIO_SDK = re.compile(r"/desk/static/vendor/twilio-voice\.min\.js(\?.*)?$")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)


@dataclass
class Desk:
    """The running server, its seeded contact center and the fake WhatsApp provider."""

    server: LiveServer
    center: ContactCenter
    graph: FakeGraphAPI

    @property
    def url(self) -> str:
        return self.server.url

    def eventually(self, probe: Callable[[], Coroutine[Any, Any, T]], timeout: float = 10.0) -> T:
        """Poll a query on the server's loop until it answers something truthy (background
        jobs process webhooks); returns the last answer either way, for the assertion."""
        deadline = time.monotonic() + timeout
        value = self.server.call(probe())
        while not value and time.monotonic() < deadline:
            time.sleep(0.05)
            value = self.server.call(probe())
        return value

    def customer_writes(self, document: dict[str, Any]) -> None:
        """Meta delivers a signed webhook, as it would from the customer's phone."""
        body = meta.encode(document)
        response = httpx.post(
            f"{self.url}/webhooks/whatsapp",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": meta.sign(body),
            },
        )
        assert response.status_code == 200, response.text


@pytest.fixture
def desk(messaging_server: LiveServer, graph: FakeGraphAPI) -> Desk:
    runtime = messaging_server.app.state.runtime
    center = messaging_server.call(seed(runtime))
    runtime.services["messaging"].router.default_workflow_sid = center.workflow_sid
    return Desk(messaging_server, center, graph)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_context(
    browser: Browser, language: str = "pt-BR", *, real_twilio_sdk: bool = False
) -> BrowserContext:
    context = browser.new_context(
        locale=language,
        timezone_id="America/Sao_Paulo",
        viewport={"width": 1440, "height": 900},
    )
    context.set_default_timeout(10_000)
    if not real_twilio_sdk:
        context.route(TWILIO_SDK, _serve_sdk_double)
    return context


def _serve_sdk_double(route: Route) -> None:
    route.fulfill(path=SDK_DOUBLE, content_type="text/javascript; charset=utf-8")


def sign_in(page: Page, desk: Desk, user: str, shot: str | None = None) -> None:
    page.goto(f"{desk.url}/login")
    page.get_by_label("E-mail").fill(desk.center.email(user))
    page.get_by_label("Senha").fill(PASSWORD)
    if shot:
        screenshot(page, shot)
    page.get_by_role("button", name="Entrar", exact=True).click()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
