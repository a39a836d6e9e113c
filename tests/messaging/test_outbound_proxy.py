"""A node that reaches the providers through the company's HTTP proxy (HTTP_PROXY/HTTPS_PROXY
in its environment) sends through it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from atende.messaging.hub import MessagingHub
from tests.fakes.graph_api import FakeGraphAPI
from tests.messaging import meta_payloads as meta
from tests.messaging.conftest import drain, post_meta


class ForwardProxy:
    """A plain HTTP forward proxy: takes absolute-form requests, records their targets and
    relays them to the origin (one request per connection)."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.url = ""

    async def start(self) -> asyncio.Server:
        server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        return server

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")[:-2]
        method, target, version = request_line.split(" ")
        self.targets.append(f"{method} {target}")
        headers = [line for line in header_lines if not line.lower().startswith("proxy-")]
        length = next(
            (
                int(line.split(":")[1])
                for line in headers
                if line.lower().startswith("content-length")
            ),
            0,
        )
        body = await reader.readexactly(length)
        origin = urlsplit(target)
        upstream_reader, upstream = await asyncio.open_connection(origin.hostname, origin.port)
        path = origin.path + (f"?{origin.query}" if origin.query else "")
        headers = [h for h in headers if not h.lower().startswith("connection")]
        lines = [f"{method} {path} {version}", *headers, "Connection: close", "", ""]
        upstream.write("\r\n".join(lines).encode("latin-1") + body)
        await upstream.drain()
        writer.write(await upstream_reader.read())
        await writer.drain()
        upstream.close()
        writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[ForwardProxy]:
    forward = ForwardProxy()
    server = await forward.start()
    yield forward
    server.close()


async def test_sends_go_through_the_proxy_of_the_environment(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    await post_meta(client, meta.text("wamid.P1", "Oi"))
    await drain(hub)
    assert len(graph.sent) == 2  # the greeting and the menu reached the Graph API
    assert len(proxy.targets) == 2
    assert all(t.startswith(f"POST {graph.url}") for t in proxy.targets), proxy.targets
