"""Recording events: the row, the webhook in the outbox, and the push after commit, together."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from atende.events.models import Event, OutboxMessage
from atende.sids import new_sid

PENDING_KEY = "atende.pending_stream_events"
OUTBOX_KEY = "atende.outbox_added"


@dataclass(frozen=True, slots=True)
class EventRecord:
    workspace_sid: str
    event_type: str
    resource_type: str
    resource_sid: str
    description: str
    data: dict[str, Any]
    occurred_at: datetime
    actor_type: str = "system"
    actor_sid: str | None = None
    worker_sid: str | None = None
    task_sid: str | None = None
    reservation_sid: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A workspace's EventCallbackUrl; `events_filter` None means every event."""

    url: str
    account_sid: str
    workspace_name: str
    events_filter: frozenset[str] | None = field(default=None)

    def admits(self, event_type: str) -> bool:
        return self.events_filter is None or event_type in self.events_filter


def stream_payload(row: Event) -> dict[str, Any]:
    return {
        "seq": row.id,
        "sid": row.sid,
        "workspace_sid": row.workspace_sid,
        "event_type": row.event_type,
        "resource_type": row.resource_type,
        "resource_sid": row.resource_sid,
        "description": row.description,
        "data": row.data,
        "actor_type": row.actor_type,
        "actor_sid": row.actor_sid,
        "worker_sid": row.worker_sid,
        "task_sid": row.task_sid,
        "reservation_sid": row.reservation_sid,
        "event_date": row.event_date.isoformat(),
    }


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return "" if value is None else str(value)


def callback_form(row: Event, target: WebhookTarget) -> dict[str, str]:
    """The form TaskRouter posts to EventCallbackUrl: fixed headers plus the event's data."""
    form = {
        "EventType": row.event_type,
        "AccountSid": target.account_sid,
        "WorkspaceSid": row.workspace_sid,
        "WorkspaceName": target.workspace_name,
        "EventDescription": row.description,
        "ResourceType": row.resource_type,
        "ResourceSid": row.resource_sid,
        "Sid": row.sid,
        "Timestamp": str(int(row.event_date.timestamp())),
        "TimestampMs": str(int(row.event_date.timestamp() * 1000)),
    }
    for key, value in row.data.items():
        form.setdefault(_pascal(key), _form_value(value))
    return form


def enqueue_http(
    session: AsyncSession,
    kind: str,
    url: str,
    form: dict[str, str],
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Queue a form POST to be delivered with retries after this transaction commits."""
    message = OutboxMessage(
        kind=kind,
        url=url,
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        body=urlencode(form),
        reply_to=reply_to,
    )
    session.add(message)
    session.info[OUTBOX_KEY] = True
    _ensure_commit_hook(session)
    return message


async def record_events(
    session: AsyncSession, records: Sequence[EventRecord], webhook: WebhookTarget | None
) -> list[Event]:
    rows = [
        Event(
            sid=new_sid("EV"),
            workspace_sid=record.workspace_sid,
            event_type=record.event_type,
            resource_type=record.resource_type,
            resource_sid=record.resource_sid,
            description=record.description,
            data=record.data,
            actor_type=record.actor_type,
            actor_sid=record.actor_sid,
            worker_sid=record.worker_sid,
            task_sid=record.task_sid,
            reservation_sid=record.reservation_sid,
            event_date=record.occurred_at,
        )
        for record in records
    ]
    if not rows:
        return rows
    session.add_all(rows)
    await session.flush()
    for row in rows:
        if webhook is not None and webhook.admits(row.event_type):
            enqueue_http(session, "event_callback", webhook.url, callback_form(row, webhook))
    session.info.setdefault(PENDING_KEY, []).extend(stream_payload(row) for row in rows)
    _ensure_commit_hook(session)
    return rows


def _ensure_commit_hook(session: AsyncSession) -> None:
    sync_session = session.sync_session
    if not sa_event.contains(sync_session, "after_commit", _after_commit):
        sa_event.listen(sync_session, "after_commit", _after_commit)
        sa_event.listen(sync_session, "after_rollback", _after_rollback)


def _after_commit(sync_session: Session) -> None:
    events = sync_session.info.pop(PENDING_KEY, [])
    outbox_added = sync_session.info.pop(OUTBOX_KEY, False)
    runtime = sync_session.info.get("runtime")
    if runtime is None:
        return
    bus = runtime.services.get("bus")
    if bus is not None and events:
        bus.publish(events)
    dispatcher = runtime.services.get("outbox")
    if dispatcher is not None and outbox_added:
        dispatcher.wake()


def _after_rollback(sync_session: Session) -> None:
    sync_session.info.pop(PENDING_KEY, None)
    sync_session.info.pop(OUTBOX_KEY, None)
