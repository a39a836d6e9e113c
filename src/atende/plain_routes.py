"""Plain Starlette routes on a FastAPI router, for providers' webhooks.

Those endpoints take the request and nothing else, so FastAPI's per-request dependency solving
and response handling are pure cost (about 0.04 ms a request), and providers time their
answers. The application's exception handlers still apply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response

Endpoint = Callable[[Request], Awaitable[Response]]


def plain_post(router: APIRouter, path: str) -> Callable[[Endpoint], Endpoint]:
    """Register the decorated endpoint at `path` (the full path: the router's prefix is not
    added to plain routes)."""

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_route(path, endpoint, methods=["POST"], include_in_schema=False)
        return endpoint

    return register
