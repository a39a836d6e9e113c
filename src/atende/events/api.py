"""WebSocket push streams for agent desktops (one worker) and supervisors (a workspace)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Coroutine
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from atende.auth.models import Role
from atende.auth.principal import Principal
from atende.auth.service import AuthService
from atende.deps import SESSION_COOKIE
from atende.events.bus import EventBus
from atende.events.outbox import OutboxDispatcher
from atende.events.stream import LiveStream, StreamLagged, replay
from atende.runtime import Runtime

router = APIRouter(prefix="/api/stream", tags=["streams"])

HEARTBEAT_SECONDS = 15.0
HEARTBEAT = json.dumps({"type": "heartbeat"})
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


def setup(runtime: Runtime) -> None:
    redis = None
    if runtime.settings.redis_url:
        import redis.asyncio as redis_asyncio

        redis = redis_asyncio.from_url(runtime.settings.redis_url)
        runtime.services["redis"] = redis

        async def close_redis() -> None:
            await redis.aclose()

        runtime.on_stop(close_redis)
    bus = EventBus(redis)
    runtime.services["bus"] = bus
    if redis is not None:
        runtime.add_job("events.redis-relay", bus.relay_from_redis)
    dispatcher = OutboxDispatcher(runtime)
    runtime.services["outbox"] = dispatcher
    runtime.add_job("events.outbox", dispatcher.run)


async def _principal(websocket: WebSocket) -> Principal | None:
    runtime: Runtime = websocket.app.state.runtime
    token = websocket.query_params.get("token")
    cookie = websocket.cookies.get(SESSION_COOKIE)
    async with runtime.sessions() as session:
        auth = AuthService(session)
        if token:
            return await auth.principal_for_token(token)
        if cookie:
            return await auth.principal_for_session(cookie)
    return None


def _after(websocket: WebSocket) -> int | None:
    value = websocket.query_params.get("after")
    return int(value) if value and value.isdigit() else None


async def _follow(websocket: WebSocket, field: str, value: str) -> None:
    """Stream the events whose `field` is `value` until the client leaves or falls behind.
    `?after=<seq>` resumes exactly where a dropped connection stopped."""
    runtime: Runtime = websocket.app.state.runtime
    stream = LiveStream(websocket.send_text)
    with runtime.services["bus"].attach(field, value, stream):
        after, missed = await replay(runtime, _after(websocket), **{field: value})
        tasks = {
            asyncio.create_task(_run(websocket, stream.run(missed, after))),
            asyncio.create_task(_heartbeat(stream)),
            asyncio.create_task(_wait_for_disconnect(websocket)),
        }
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task


async def _run(websocket: WebSocket, streaming: Coroutine[Any, Any, None]) -> None:
    try:
        await streaming
    except StreamLagged:
        await websocket.close(TRY_AGAIN_LATER, "fell behind: reconnect with ?after=<last seq>")
    except WebSocketDisconnect:
        return


async def _wait_for_disconnect(websocket: WebSocket) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        continue


async def _heartbeat(stream: LiveStream) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        stream.heartbeat(HEARTBEAT)


@router.websocket("/workers/{worker_sid}")
async def worker_stream(websocket: WebSocket, worker_sid: str) -> None:
    """An agent's own events; `?after=<seq>` resumes exactly where a dropped connection stopped."""
    principal = await _principal(websocket)
    allowed = principal is not None and (
        principal.worker_sid == worker_sid or principal.at_least(Role.SUPERVISOR)
    )
    if not allowed:
        await websocket.close(POLICY_VIOLATION, "not allowed to follow this worker")
        return
    await websocket.accept()
    await _follow(websocket, "worker_sid", worker_sid)


@router.websocket("/workspaces/{workspace_sid}")
async def workspace_stream(websocket: WebSocket, workspace_sid: str) -> None:
    """Every event of a workspace, for supervisors' live views."""
    principal = await _principal(websocket)
    if principal is None or not principal.at_least(Role.SUPERVISOR):
        await websocket.close(POLICY_VIOLATION, "supervisors only")
        return
    await websocket.accept()
    await _follow(websocket, "workspace_sid", workspace_sid)
