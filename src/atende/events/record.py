"""Recording events: the row, the webhook in the outbox, and the push after commit, together."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import event as sa_event
from sqlalchemy import insert
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


_COLUMNS = (
    "sid",
    "workspace_sid",
    "event_type",
    "resource_type",
    "resource_sid",
    "description",
    "data",
    "actor_type",
    "actor_sid",
    "worker_sid",
    "task_sid",
    "reservation_sid",
)
# Rows come back matched by SID: asking for parameter order would make SQLite insert one at a time.
_INSERT = insert(Event).returning(Event.sid, Event.id)


def _payload(seq: int, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "seq": seq,
        **{column: values[column] for column in _COLUMNS},
        "event_date": values["event_date"].isoformat(),
    }


def stream_payload(row: Event) -> dict[str, Any]:
    return _payload(row.id, {column: getattr(row, column) for column in (*_COLUMNS, "event_date")})


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return "" if value is None else str(value)


def callback_form(event: Mapping[str, Any], target: WebhookTarget) -> dict[str, str]:
    """The form TaskRouter posts to EventCallbackUrl: fixed headers plus the event's data."""
    occurred: datetime = event["event_date"]
    form = {
        "EventType": event["event_type"],
        "AccountSid": target.account_sid,
        "WorkspaceSid": event["workspace_sid"],
        "WorkspaceName": target.workspace_name,
        "EventDescription": event["description"],
        "ResourceType": event["resource_type"],
        "ResourceSid": event["resource_sid"],
        "Sid": event["sid"],
        "Timestamp": str(int(occurred.timestamp())),
        "TimestampMs": str(int(occurred.timestamp() * 1000)),
    }
    for key, value in event["data"].items():
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
    return message


async def record_events(
    session: AsyncSession, records: Sequence[EventRecord], webhook: WebhookTarget | None
) -> None:
    """One multi-row INSERT for the command's events (their ids are the stream's sequence
    numbers, so they come back with it); the pushes wait for the commit."""
    if not records:
        return
    rows: list[dict[str, Any]] = [
        {
            "sid": new_sid("EV"),
            "workspace_sid": record.workspace_sid,
            "event_type": record.event_type,
            "resource_type": record.resource_type,
            "resource_sid": record.resource_sid,
            "description": record.description,
            "data": record.data,
            "actor_type": record.actor_type,
            "actor_sid": record.actor_sid,
            "worker_sid": record.worker_sid,
            "task_sid": record.task_sid,
            "reservation_sid": record.reservation_sid,
            "event_date": record.occurred_at,
        }
        for record in records
    ]
    connection = await session.connection()
    ids = dict((await connection.execute(_INSERT, rows)).tuples().all())
    for record, row in zip(records, rows, strict=True):
        if webhook is not None and webhook.admits(record.event_type):
            enqueue_http(session, "event_callback", webhook.url, callback_form(row, webhook))
    session.info.setdefault(PENDING_KEY, []).extend(_payload(ids[row["sid"]], row) for row in rows)


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


# Once for every session (a listener per session costs more than a statement); both are cheap
# for a session that recorded nothing.
sa_event.listen(Session, "after_commit", _after_commit)
sa_event.listen(Session, "after_rollback", _after_rollback)
