"""Only the company's sites may embed the web chat (ATENDE_WEBCHAT_ORIGINS): a page on another
site is told it may not, its socket is closed, and no chat is opened in the company's name."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import httpx
import pytest
import websockets
from sqlalchemy import func, select

from atende.app import create_app
from atende.channels.webchat import OriginPolicy
from atende.config import Settings
from atende.conversations.models import Contact
from tests.conftest import LiveServer
from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.twilio_messages import FakeTwilioMessages
from tests.messaging.conftest import live_messaging_server, messaging_settings

COMPANY = "https://www.corretora.com.br"
POLICY_VIOLATION = 1008


@pytest.fixture
def guarded_server(
    settings: Settings, graph: FakeGraphAPI, twilio_api: FakeTwilioMessages
) -> Iterator[LiveServer]:
    configured = dataclasses.replace(
        messaging_settings(settings, graph, twilio_api),
        webchat_origins=(COMPANY, "https://*.seguros.example"),
    )
    with live_messaging_server(configured) as server:
        yield server


def ws_url(server: LiveServer) -> str:
    return server.url.replace("http://", "ws://") + "/webchat/ws"


async def contacts(server: LiveServer) -> int:
    async with server.app.state.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Contact)) or 0)


async def test_the_company_site_chats(guarded_server: LiveServer) -> None:
    for origin in (COMPANY, "https://vendas.seguros.example", guarded_server.url):
        async with websockets.connect(ws_url(guarded_server), origin=origin) as connection:  # type: ignore[arg-type]
            await connection.send(json.dumps({"type": "hello"}))
            welcome = json.loads(await connection.recv())
            assert welcome["type"] == "welcome"


async def test_another_site_is_told_why_and_cannot_open_a_chat(
    guarded_server: LiveServer,
) -> None:
    async with websockets.connect(
        ws_url(guarded_server),
        origin="https://phishing.example",  # type: ignore[arg-type]
    ) as connection:
        frame = json.loads(await connection.recv())
        assert frame["type"] == "error"
        assert frame["code"] == "origin_not_allowed"
        assert "https://phishing.example" in frame["detail"]
        assert "ATENDE_WEBCHAT_ORIGINS" in frame["detail"]
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await connection.send(json.dumps({"type": "hello"}))
            await connection.send(json.dumps({"type": "start"}))
            await connection.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == POLICY_VIOLATION
    assert await contacts(guarded_server) == 0


async def test_the_widget_script_is_refused_to_another_sites_scripts(
    guarded_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=guarded_server.url) as http:
        tag = await http.get("/webchat/widget.js")  # a <script> tag sends no Origin
        company = await http.get("/webchat/widget.js", headers={"Origin": COMPANY})
        other = await http.get("/webchat/widget.js", headers={"Origin": "https://other.example"})
    assert tag.status_code == 200
    assert company.status_code == 200
    assert company.headers["access-control-allow-origin"] == COMPANY
    assert other.status_code == 403
    assert "ATENDE_WEBCHAT_ORIGINS" in other.json()["detail"]


async def test_without_the_setting_every_site_may_embed_the_chat(
    messaging_server: LiveServer,
) -> None:
    async with websockets.connect(
        ws_url(messaging_server),
        origin="https://any.example",  # type: ignore[arg-type]
    ) as connection:
        await connection.send(json.dumps({"type": "hello"}))
        assert json.loads(await connection.recv())["type"] == "welcome"


def test_a_malformed_origin_stops_the_node_with_its_reason(settings: Settings) -> None:
    bad = dataclasses.replace(settings, webchat_origins=("www.corretora.com.br",))
    with pytest.raises(ValueError, match=r"ATENDE_WEBCHAT_ORIGINS: 'www.corretora.com.br'"):
        create_app(bad, migrate=False)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://www.corretora.com.br", True),
        ("https://WWW.Corretora.com.br:443", True),
        ("http://www.corretora.com.br", False),
        ("https://www.corretora.com.br:8443", False),
        ("https://corretora.com.br", False),
        ("https://a.b.seguros.example", True),
        ("https://seguros.example", False),
        ("https://evilseguros.example", False),
        ("null", False),
        ("http://127.0.0.1:8000", True),
        (None, True),
    ],
)
def test_which_origins_a_list_admits(origin: str | None, allowed: bool) -> None:
    policy = OriginPolicy((COMPANY, "https://*.seguros.example"), "http://127.0.0.1:8000/atende")
    assert policy.allows(origin) is allowed
