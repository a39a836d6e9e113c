"""Call events, recorded through the one event definition so desks and supervisors see them.

Their types are `call.<what>` (call.queued, call.connected, call.abandoned, call.hold …) with the
call as resource; they carry the task, worker and reservation SIDs so an agent's stream shows
its own calls. Only calls that reached a workspace have events (the IVR alone has none).

Within a batch of webhooks (`atende.voice.batch`) the events wait, and the batch records them
all in one INSERT before it commits: nothing reads them before then."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.db.base import utcnow
from atende.events.record import EventRecord, record_events
from atende.voice.models import Call


def call_summary(call: Call) -> dict[str, Any]:
    return {
        "call_sid": call.customer_call_sid,
        "voice_call_sid": call.sid,
        "direction": call.direction,
        "from": call.customer_number if call.direction == "inbound" else call.company_number,
        "to": call.company_number if call.direction == "inbound" else call.customer_number,
        "protocol": call.protocol,
        "stage": call.stage,
        "status": call.status,
        "on_hold": call.on_hold,
        "recording": call.recording,
    }


DEFERRED = "voice.deferred-events"


def defer_events(session: AsyncSession) -> None:
    """From now on this session's call events wait for `record_deferred`."""
    session.info[DEFERRED] = []


async def record_deferred(session: AsyncSession) -> None:
    records: list[EventRecord] = session.info.pop(DEFERRED, [])
    if records:
        await record_events(session, records, None)


async def emit(session: AsyncSession, call: Call, what: str, description: str, **data: Any) -> None:
    if call.workspace_sid is None:
        return
    record = EventRecord(
        workspace_sid=call.workspace_sid,
        event_type=f"call.{what}",
        resource_type="call",
        resource_sid=call.sid,
        description=description,
        data={**call_summary(call), **data},
        occurred_at=utcnow(),
        worker_sid=call.worker_sid,
        task_sid=call.task_sid,
        reservation_sid=call.reservation_sid,
    )
    deferred: list[EventRecord] | None = session.info.get(DEFERRED)
    if deferred is not None:
        deferred.append(record)
    else:
        await record_events(session, [record], None)
