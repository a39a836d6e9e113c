"""Background work of the voice domain: following routing, and keeping recordings tidy.

Voice learns of reservations from the event bus right after routing commits them; a periodic
reconciliation compares waiting calls with their tasks as stored, so a lost bus message (a
restart, a lagging subscriber, another node) only delays a connection, never loses it. Acting
twice is harmless: every reaction claims the call's stage first.

A reservation's instruction (an assignment callback's `dequeue`, `conference`...) comes with no
event: TaskRouter just records it on the reservation. Voice watches for that write, and the
commit that stores it wakes the reconciliation at once instead of leaving it to the next
round."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session, object_session

from atende.db.base import utcnow
from atende.runtime import Runtime
from atende.taskrouter.models import Reservation
from atende.voice.controls import CallService
from atende.voice.writer import writing

log = logging.getLogger(__name__)

FOLLOWED = frozenset({"reservation.created", "reservation.accepted", "task.canceled"})
RECONCILE_SECONDS = 5.0
PURGE_SECONDS = 3600.0
WAKE_KEY = "voice.reconcile-now"
_INSTRUCTED = "voice.instruction-recorded"


def is_voice_routing_event(event: Mapping[str, Any]) -> bool:
    """Reservations and cancellations of voice tasks; a new reservation only matters at once
    for a click-to-call (accepted for the agent who placed it): instructions come later, with
    no event, and the reconciliation finds them."""
    data = event.get("data") or {}
    kind = event.get("event_type")
    if kind not in FOLLOWED or data.get("task_channel_unique_name") != "voice":
        return False
    return kind != "reservation.created" or '"direction":"outbound"' in str(
        data.get("task_attributes", "")
    ).replace(" ", "")


async def handle_routing_event(runtime: Runtime, event: Mapping[str, Any]) -> None:
    data = event.get("data") or {}
    task_sid = event.get("task_sid") or data.get("task_sid")
    reservation_sid = event.get("reservation_sid") or data.get("reservation_sid")
    worker_sid = event.get("worker_sid") or data.get("worker_sid")
    if not task_sid:
        return
    async with writing(runtime), runtime.sessions() as session:
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
        found = await CallService(session, runtime).repo.waiting_calls_to_act_on()
    for call_sid, task_sid, reservation_sid, worker_sid, what in found:
        try:
            async with writing(runtime), runtime.sessions() as session:
                calls = CallService(session, runtime)
                if what == "canceled":
                    task = await calls.repo.task(task_sid)
                    await calls.task_canceled(task_sid, None if task is None else task.reason)
                elif what == "accepted" and reservation_sid and worker_sid:
                    await calls.reservation_accepted(task_sid, reservation_sid, worker_sid)
                elif reservation_sid and worker_sid:
                    await calls.reservation_created(task_sid, reservation_sid, worker_sid)
                await session.commit()
        except Exception:
            log.exception("reconciling voice call %s failed", call_sid)


def reconcile_wake(runtime: Runtime) -> asyncio.Event:
    """Set when a commit stored a reservation's instruction; the reconciliation runs then."""
    found = runtime.services.get(WAKE_KEY)
    if not isinstance(found, asyncio.Event):
        found = runtime.services[WAKE_KEY] = asyncio.Event()
    return found


def _instruction_written(_mapper: Mapper[Reservation], _: Connection, row: Reservation) -> None:
    session = object_session(row)
    if session is not None and inspect(row).attrs.instruction.history.added:
        session.info[_INSTRUCTED] = True


def _committed(session: Session) -> None:
    runtime = session.info.get("runtime")
    if session.info.pop(_INSTRUCTED, False) and isinstance(runtime, Runtime):
        reconcile_wake(runtime).set()


def _rolled_back(session: Session) -> None:
    session.info.pop(_INSTRUCTED, None)


def watch_instructions() -> None:
    """Listen (once per process) for instructions written through any session."""
    if not sa_event.contains(Reservation, "after_update", _instruction_written):
        sa_event.listen(Reservation, "after_update", _instruction_written)
        sa_event.listen(Session, "after_commit", _committed)
        sa_event.listen(Session, "after_rollback", _rolled_back)


async def reconcile_forever(runtime: Runtime) -> None:
    wake = reconcile_wake(runtime)
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), RECONCILE_SECONDS)
        wake.clear()
        await reconcile(runtime)


async def purge_recordings(runtime: Runtime) -> int:
    """Delete at the carrier the recordings whose retention ended; returns how many."""
    async with writing(runtime), runtime.sessions() as session:
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
