"""An agent attaches a picture to a WhatsApp conversation in a real Chromium: the file goes with
the typed text as its caption, WhatsApp gets a link to our copy, and the history shows it; a
file WhatsApp would refuse is refused in words."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Desk, needs_chromium, screenshot
from tests.e2e.test_agent_desk import ana_takes_a_quote

pytestmark = [pytest.mark.e2e, needs_chromium]


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 90), (11, 92, 173)).save(buffer, format="PNG")
    return buffer.getvalue()


def sent_image(desk: Desk) -> dict[str, str]:
    deadline = time.monotonic() + 10
    while True:
        for message in desk.graph.sent:
            if message.body.get("type") == "image":
                image: dict[str, str] = message.body["image"]
                return image
        assert time.monotonic() < deadline, "the picture never reached WhatsApp"
        desk.graph.wait_for_sent(len(desk.graph.sent) + 1, timeout=1)


def test_an_agent_sends_a_picture_and_sees_it_in_the_history(desk: Desk, browser: Browser) -> None:
    context, page = ana_takes_a_quote(desk, browser, "wamid.ATT")

    picture = png()
    page.locator("#attachment").set_input_files(
        {"name": "notas.txt", "mimeType": "text/plain", "buffer": b"texto"}
    )
    expect(page.locator("#attachment-chip")).to_contain_text("notas.txt")
    page.get_by_role("button", name="Enviar").click()
    expect(page.locator("#toasts")).to_contain_text("WhatsApp accepts")

    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024)
    page.locator("#attachment").set_input_files(
        {"name": "enorme.png", "mimeType": "image/png", "buffer": big}
    )
    expect(page.locator("#toasts")).to_contain_text("o WhatsApp aceita até 5.0 MB")
    expect(page.locator("#attachment-chip")).to_be_hidden()

    page.locator("#attachment").set_input_files(
        {"name": "vistoria.png", "mimeType": "image/png", "buffer": picture}
    )
    expect(page.locator("#attachment-chip")).to_contain_text("vistoria.png")
    page.locator("#reply").fill("Foto da vistoria")
    page.get_by_role("button", name="Enviar").click()
    sent = page.locator(".message.outbound", has_text="Foto da vistoria")
    expect(sent.locator("img")).to_be_visible()
    expect(page.locator("#attachment-chip")).to_be_hidden()
    assert sent.locator("img").evaluate("image => image.naturalWidth") == 160

    image = sent_image(desk)
    assert image["caption"] == "Foto da vistoria"
    assert httpx.get(image["link"]).content == picture  # what Meta downloads
    screenshot(page, "agent-attachment")

    # A link to hand on: signed, expiring, and it opens the picture without the agent's session.
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    sent.get_by_role("button", name="Copiar link").click()
    expect(page.locator("#toasts")).to_contain_text("Link copiado; vale até")
    link = page.evaluate("() => navigator.clipboard.readText()")
    assert link.startswith(f"{desk.url}/media/") and "signature=" in link
    assert httpx.get(link).content == picture
    assert httpx.get(link.replace("signature=", "signature=x")).status_code == 403
    context.close()
