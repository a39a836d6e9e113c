"""The web chat widget in a real Chromium, embedded in a company page with one script tag:
start a chat, see the protocol, click a menu button, read the agent's answer, reload the page
and carry on in the same conversation."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from atende.auth.models import Role
from atende.config import Settings
from atende.messaging.hub import MessagingHub
from tests.conftest import LiveServer, make_token
from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.twilio_messages import FakeTwilioMessages
from tests.messaging.conftest import live_messaging_server, messaging_settings
from tests.messaging.routing_fakes import WORKFLOW, RecordingGateway

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless", "--disable-gpu"]
        )
        yield launched
        launched.close()


@contextlib.contextmanager
def serve_site(server: LiveServer) -> Iterator[str]:
    """The company's own site, on another origin, embedding the widget with one tag."""
    html = (
        "<!doctype html><html lang='pt-BR'><head><meta charset='utf-8'>"
        "<title>Corretora</title></head><body><h1>Corretora de Seguros</h1>"
        f"<script src='{server.url}/webchat/widget.js' defer></script></body></html>"
    ).encode()

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *_args: object) -> None:
            return

    site = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    # "localhost" rather than 127.0.0.1: a different origin from Atende's, as on a real site.
    try:
        yield f"http://localhost:{site.server_address[1]}/"
    finally:
        site.shutdown()
        site.server_close()


@pytest.fixture
def company_site(messaging_server: LiveServer) -> Iterator[str]:
    with serve_site(messaging_server) as site:
        yield site


def company_page(browser: Browser, site: str) -> Page:
    page = browser.new_context(locale="pt-BR").new_page()
    page.goto(site)
    return page


def test_the_widget_from_start_to_agent_and_through_a_reload(
    messaging_server: LiveServer, company_site: str, browser: Browser
) -> None:
    hub: MessagingHub = messaging_server.app.state.runtime.services["messaging"]
    gateway = RecordingGateway()
    hub.router.gateway = gateway
    hub.router.default_workflow_sid = WORKFLOW
    page = company_page(browser, company_site)

    page.get_by_role("button", name="Fale conosco").click()
    page.get_by_role("button", name="Iniciar conversa").click()
    protocol_line = page.locator(".protocol")
    expect(protocol_line).to_have_text(re.compile(r"Protocolo: \d{14}"))
    protocol = (protocol_line.text_content() or "").split(": ")[1]
    log = page.get_by_role("log")
    expect(log).to_contain_text(f"Seu número de protocolo é {protocol}")

    page.get_by_role("button", name="Sinistro").click()
    expect(log).to_contain_text("Aguarde, você será atendido em instantes.")
    expect(page.get_by_role("button", name="Cancelamento")).to_have_count(0)

    assert gateway.tasks and gateway.tasks[-1].attributes["motivo"] == "sinistro"
    conversation_sid = gateway.tasks[-1].attributes["conversation_sid"]
    token = messaging_server.call(make_token(messaging_server.app, Role.SUPERVISOR))
    with httpx.Client(base_url=messaging_server.url) as http:
        sent = http.post(
            f"/api/conversations/{conversation_sid}/messages",
            json={"text": "Olá, aqui é a Ana. Qual a placa do carro?"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert sent.status_code == 202, sent.text
    expect(log).to_contain_text("Olá, aqui é a Ana. Qual a placa do carro?")

    page.reload()
    expect(page.locator(".protocol")).to_have_text(f"Protocolo: {protocol}")
    log = page.get_by_role("log")
    expect(log).to_contain_text("Olá, aqui é a Ana. Qual a placa do carro?")
    page.get_by_role("textbox", name="Digite sua mensagem").fill("ABC1D23")
    page.get_by_role("button", name="Enviar").click()
    expect(log).to_contain_text("ABC1D23")

    with httpx.Client(base_url=messaging_server.url) as http:
        messages = http.get(
            f"/api/conversations/{conversation_sid}/messages",
            headers={"Authorization": f"Bearer {token}"},
        )
    customer = [m["text"] for m in messages.json()["messages"] if m["author"] == "customer"]
    assert customer == ["Sinistro", "ABC1D23"]


@pytest.fixture
def guarded_server(
    settings: Settings, graph: FakeGraphAPI, twilio_api: FakeTwilioMessages
) -> Iterator[LiveServer]:
    """Atende allowing only the company's real site, not the page the browser opens."""
    configured = dataclasses.replace(
        messaging_settings(settings, graph, twilio_api),
        webchat_origins=("https://www.corretora.com.br",),
    )
    with live_messaging_server(configured) as server:
        yield server


def test_on_a_site_not_allowed_the_widget_says_the_chat_is_unavailable(
    guarded_server: LiveServer, browser: Browser
) -> None:
    with serve_site(guarded_server) as site:
        page = company_page(browser, site)
        page.get_by_role("button", name="Fale conosco").click()
        expect(page.get_by_role("status")).to_have_text("O chat não está disponível neste site.")
        expect(page.get_by_role("button", name="Iniciar conversa")).to_be_hidden()
