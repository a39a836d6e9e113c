"""Fixtures of the desk's tests: a seeded contact center and signed-in browsers."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from tests.desk.contact_center import PASSWORD, ContactCenter, seed

Browser = httpx.AsyncClient


@pytest.fixture
async def center(app: FastAPI) -> ContactCenter:
    return await seed(app.state.runtime)


def page_config(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="desk-config">(.*?)</script>', html)
    assert match, "the page has no desk configuration"
    config: dict[str, object] = json.loads(match.group(1))
    return config


@asynccontextmanager
async def _browser(app: FastAPI, email: str, page: str) -> AsyncIterator[Browser]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        signed = await client.post("/login", data={"email": email, "password": PASSWORD})
        assert signed.status_code == 303 and "error" not in signed.headers["location"]
        config = page_config((await client.get(page)).text)
        client.headers["X-CSRF-Token"] = str(config["csrf"])
        yield client


@pytest.fixture
def browser(
    app: FastAPI, center: ContactCenter
) -> Callable[[str, str], AbstractAsyncContextManager[Browser]]:
    """`async with browser("ana") as ana:` a signed-in client sending its CSRF token."""

    def open_as(user: str, page: str = "/agent") -> AbstractAsyncContextManager[Browser]:
        return _browser(app, center.email(user), page)

    return open_as
