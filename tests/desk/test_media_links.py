"""Signed, expiring links to an attachment: issued only to who may see the conversation, open
the file without a session until they expire (410 after), and an altered or made-up link gets
403; the agent's own session access is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from atende.config import Settings
from atende.conversations.media_links import MediaLinks
from atende.desk.media_api import media_links
from atende.messaging.hub import MessagingHub
from tests.desk.test_attachments import PDF, attach, center, served
from tests.messaging.conftest import app, graph, hub, twilio_api
from tests.messaging.test_taskrouter_routing import Center

__all__ = ["app", "center", "graph", "hub", "twilio_api"]


async def attachment(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, center: Center
) -> tuple[str, dict[str, str], dict[str, str]]:
    """A PDF the serving agent sent: its media SID, the agent's and another agent's headers."""
    conversation, agent, other = await served(app, client, hub, center)
    sent = await attach(client, conversation.sid, agent, "apólice.pdf", PDF, "application/pdf")
    assert sent.status_code == 202, sent.text
    return sent.json()["media_sid"], agent, other


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_an_agent_hands_on_a_link_that_opens_the_file_without_a_session(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, center: Center
) -> None:
    media_sid, agent, other = await attachment(app, client, hub, center)
    issued = await client.post(f"/api/desk/media/{media_sid}/link", headers=agent)
    assert issued.status_code == 200, issued.text
    link = issued.json()
    public = app.state.runtime.settings.public_url.rstrip("/")
    assert link["url"].startswith(f"{public}/media/{media_sid}?expires=")
    expires_at = datetime.fromisoformat(link["expires_at"])
    lifetime = expires_at - datetime.now(UTC)
    assert timedelta(hours=23, minutes=59) < lifetime <= timedelta(hours=24)

    opened = await client.get(local(link["url"]))  # no session, only the link
    assert opened.status_code == 200 and opened.content == PDF
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.headers["cache-control"] == "private, no-store"
    assert "ap%C3%B3lice.pdf" in opened.headers["content-disposition"]

    # Only who may see the conversation gets a link; nobody without signing in.
    refused = await client.post(f"/api/desk/media/{media_sid}/link", headers=other)
    assert refused.status_code == 404
    assert (await client.post(f"/api/desk/media/{media_sid}/link")).status_code == 401
    # The agent's own pages still read the file with their session.
    own = await client.get(f"/api/media/{media_sid}", headers=agent)
    assert own.status_code == 200 and own.content == PDF


async def test_an_expired_link_answers_410_and_an_altered_one_403(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, center: Center
) -> None:
    media_sid, agent, _ = await attachment(app, client, hub, center)
    settings = app.state.runtime.settings
    yesterday = datetime.now(UTC) - timedelta(hours=24, seconds=5)
    old = media_links(settings).sign(settings.public_url, media_sid, yesterday)
    expired = await client.get(local(old.url))
    assert expired.status_code == 410
    assert expired.json()["detail"].startswith("expires: this link expired at ")
    assert expired.content != PDF

    fresh = (await client.post(f"/api/desk/media/{media_sid}/link", headers=agent)).json()
    query = {key: values[0] for key, values in parse_qs(urlsplit(fresh["url"]).query).items()}
    later = {**query, "expires": str(int(query["expires"]) + 86_400)}
    stretched = await client.get(f"/media/{media_sid}?{urlencode(later)}")
    assert stretched.status_code == 403
    assert stretched.json()["detail"].startswith("signature: this link to media ")
    other_file = await client.get(f"/media/ME{'0' * 32}?{urlencode(query)}")
    assert other_file.status_code == 403
    unsigned = await client.get(f"/media/{media_sid}")
    assert unsigned.status_code == 403
    assert unsigned.json()["detail"] == "expires and signature: missing from the media link"
    # A link signed with another deployment's key is not ours either.
    foreign = MediaLinks("another-key", timedelta(hours=1)).sign("", media_sid, datetime.now(UTC))
    assert (await client.get(foreign.url)).status_code == 403


def test_the_lifetime_comes_from_the_environment_and_a_bad_one_is_named() -> None:
    settings = Settings.from_env({"ATENDE_MEDIA_LINK_SECONDS": "900"})
    assert settings.media_link_seconds == 900
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    link = media_links(settings).sign("https://atende.example", "ME1", now)
    assert link.expires_at == now + timedelta(minutes=15)
    query = parse_qs(urlsplit(link.url).query)
    media_links(settings).check(
        "ME1", query["expires"][0], query["signature"][0], now=now + timedelta(minutes=14)
    )
    for bad in ("0", "-5", "quinze"):
        with pytest.raises(ValueError, match=r"ATENDE_MEDIA_LINK_SECONDS: .* positive whole"):
            Settings.from_env({"ATENDE_MEDIA_LINK_SECONDS": bad})
