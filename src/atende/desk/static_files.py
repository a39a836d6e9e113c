"""Serving the desk's own CSS and JavaScript, and the browser libraries npm installed (never
copied into the repository); versioned URLs are cached for good."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from atende.desk.rendering import STATIC
from atende.errors import Problem

router = APIRouter(include_in_schema=False)
_files = StaticFiles(directory=STATIC)

# `make install` runs `npm ci` at the repository's root (package.json pins the versions).
NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"
# Public name → the published file. The Twilio Voice JS SDK's own browser bundle defines
# `window.Twilio.Device`.
VENDOR = {"twilio-voice.min.js": "@twilio/voice-sdk/dist/twilio.min.js"}
VENDOR_PREFIX = "/desk/static/vendor/"


def _cache_headers(response: Response, versioned: bool) -> Response:
    response.headers["Cache-Control"] = (
        "public, max-age=31536000, immutable" if versioned else "no-cache"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def vendor_path(name: str) -> Path | None:
    """Where an installed library's file is, or None when npm has not installed it."""
    published = VENDOR.get(name)
    if published is None:
        return None
    path = NODE_MODULES / published
    return path if path.is_file() else None


@functools.cache
def _vendor_version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def vendor_url(name: str) -> str | None:
    """The versioned URL of an installed library, or None: the page then says the feature
    that needs it is unavailable instead of failing."""
    path = vendor_path(name)
    return f"{VENDOR_PREFIX}{name}?v={_vendor_version(path)}" if path else None


@router.get(VENDOR_PREFIX + "{name}")
async def vendor_file(name: str, request: Request) -> Response:
    path = vendor_path(name)
    if path is None:
        raise Problem(404, "Not found", f"{name} is not installed (run `make install`)")
    response = FileResponse(path, media_type="text/javascript; charset=utf-8")
    return _cache_headers(response, "v" in request.query_params)


@router.get("/desk/static/{path:path}")
async def static_file(path: str, request: Request) -> Response:
    response = await _files.get_response(path, request.scope)
    return _cache_headers(response, "v" in request.query_params)
