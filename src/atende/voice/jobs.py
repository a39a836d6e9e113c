"""Background work of the voice domain: following routing, and keeping recordings tidy.

Voice learns of reservations from the event bus right after routing commits them; a periodic
reconciliation compares waiting calls with their tasks as stored, so a lost bus message (a
restart, a lagging subscriber, another node) only delays a connection, never loses it. Acting
twice is harmless: every reaction claims the call's stage first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from atende.db.base import utcnow
from atende.runtime import Runtime
from atende.voice.controls import CallService

log = logging.getLogger(__name__)

FOLLOWED = frozenset({"reservation.created", "reservation.accepted", "task.canceled"})
RECONCILE_SECONDS = 5.0
PURGE_SECONDS = 3600.0


def is_voice_routing_event(event: Mapping[str, Any]) -> bool:
    data = event.get("data") or {}
    return event.get("event_type") in FOLLOWED and data.get("task_channel_unique_name") == "voice"


async def handle_routing_event(runtime: Runtime, event: Mapping[str, Any]) -> None:
    data = event.get("data") or {}
    task_sid = event.get("task_sid") or data.get("task_sid")
    reservation_sid = event.get("reservation_sid") or data.get("reservation_sid")
    worker_sid = event.get("worker_sid") or data.get("worker_sid")
    if not task_sid:
        return
    async with runtime.sessions() as session:
        calls = CallService(session, runtime)
        kind = event.get("event_type")
        if kind == "reservation.accepted" and reservation_sid and worker_sid:
            await calls.reservation_accepted(task_sid, reservation_sid, worker_sid)
        elif kind == "reservation.created" and reservation_sid and worker_sid:
            await calls.reservation_created(task_sid, reservation_sid, worker_sid)
        elif kind == "task.canceled":
            await calls.task_canceled(task_sid, data.get("task_canceled_reason"))
        await session.commit()


async def follow_routing(runtime: Runtime) -> None:
    """Job: react to voice tasks' reservations as they are committed."""
    bus = runtime.services["bus"]
    with bus.subscribe(is_voice_routing_event) as subscription:
        while True:
            event = await subscription.get()
            try:
                await handle_routing_event(runtime, event)
            except Exception:
                log.exception("voice could not act on %s", event.get("event_type"))


async def reconcile(runtime: Runtime) -> None:
    """Act on what the stored routing state says about calls still waiting."""
    async with runtime.sessions() as session:
        calls = CallService(session, runtime)
        waiting = await calls.repo.calls_in_stages(("queued", "callback"))
        pending = [(c.sid, c.task_sid) for c in waiting if c.task_sid is not None]
    for call_sid, task_sid in pending:
        try:
            await _reconcile_one(runtime, call_sid, task_sid)
        except Exception:
            log.exception("reconciling voice call %s failed", call_sid)


async def _reconcile_one(runtime: Runtime, call_sid: str, task_sid: str) -> None:
    async with runtime.sessions() as session:
        calls = CallService(session, runtime)
        task = await calls.repo.task(task_sid)
        if task is None:
            return
        if task.assignment_status == "canceled":
            await calls.task_canceled(task_sid, task.reason)
        for reservation in await calls.repo.reservations_of_task(task_sid):
            if reservation.reservation_status == "accepted":
                await calls.reservation_accepted(task_sid, reservation.sid, reservation.worker_sid)
            elif reservation.reservation_status == "pending":
                await calls.reservation_created(task_sid, reservation.sid, reservation.worker_sid)
        await session.commit()


async def reconcile_forever(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(RECONCILE_SECONDS)
        await reconcile(runtime)


async def purge_recordings(runtime: Runtime) -> int:
    """Delete at the carrier the recordings whose retention ended; returns how many."""
    async with runtime.sessions() as session:
        calls = CallService(session, runtime)
        expired = await calls.repo.recordings_past_retention(utcnow())
        for recording in expired:
            call = await calls.repo.call(recording.voice_call_sid)
            if call is not None:
                await calls.delete_recording(call, recording.sid)
            recording.deleted_at = utcnow()
            recording.url = None
        await session.commit()
        return len(expired)


async def purge_forever(runtime: Runtime) -> None:
    while True:
        await purge_recordings(runtime)
        await asyncio.sleep(PURGE_SECONDS)
