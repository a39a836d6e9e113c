"""Serving the desk's own CSS and JavaScript; versioned URLs are cached for good."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from atende.desk.rendering import STATIC

router = APIRouter(include_in_schema=False)
_files = StaticFiles(directory=STATIC)


@router.get("/desk/static/{path:path}")
async def static_file(path: str, request: Request) -> Response:
    response = await _files.get_response(path, request.scope)
    versioned = "v" in request.query_params
    response.headers["Cache-Control"] = (
        "public, max-age=31536000, immutable" if versioned else "no-cache"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
