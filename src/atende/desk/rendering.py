"""Rendering the desk's pages: one Jinja environment, versioned static URLs, safe headers."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from atende.desk.i18n import LANGUAGES, Translator

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")

# Pages run only our own scripts and styles (the Twilio Voice SDK is served from here too); the
# push stream is a same-origin WebSocket. The softphone talks to Twilio's signalling (wss), its
# call-quality reports (https://*.twilio.com) and plays Twilio's ring tones.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' blob: https://sdk.twilio.com; "
        "connect-src 'self' ws: wss: https://*.twilio.com; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@functools.cache
def static_version(name: str) -> str:
    """A digest of the file, so a new release is fetched at once and an old one is cached."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    return f"/desk/static/{name}?v={static_version(name)}"


def render(
    request: Request,
    template: str,
    translator: Translator,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": translator,
            "lang": translator.language,
            "languages": LANGUAGES,
            "static": static_url,
            **context,
        },
        status_code=status_code,
    )
    response.headers.update(SECURITY_HEADERS)
    return response
