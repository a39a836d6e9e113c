"""Recording events: the row, the webhook in the outbox, and the push after commit, together."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from psycopg.types.json import Json
from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from atende.db.engine import driver_connection
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


def _row(record: EventRecord) -> dict[str, Any]:
    return {
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


_PG_COLUMNS = (*_COLUMNS, "event_date")
_PG_ROWS_PER_INSERT = 1000  # 13 parameters a row: far below PostgreSQL's 65,535


@functools.lru_cache(maxsize=64)
def _pg_insert(count: int) -> str:
    row = "(" + ", ".join(["%s"] * len(_PG_COLUMNS)) + ")"
    return (
        f"INSERT INTO events ({', '.join(_PG_COLUMNS)}) VALUES {', '.join([row] * count)} "
        "RETURNING sid, id"
    )


def _pg_parameters(rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    return [
        Json(row[column]) if column == "data" else row[column]
        for row in rows
        for column in _PG_COLUMNS
    ]


@dataclass
class InsertedEvents:
    """A command's events, inserted; on PostgreSQL their ids may still be on their way."""

    records: Sequence[EventRecord]
    rows: list[dict[str, Any]]
    ids: dict[str, int] = field(default_factory=dict)
    answers: list[Any] = field(default_factory=list)
    """psycopg cursors whose RETURNING rows have not been read yet."""

    async def read_ids(self) -> dict[str, int]:
        for cursor in self.answers:
            self.ids.update(await cursor.fetchall())
        self.answers.clear()
        return self.ids


async def insert_events(session: AsyncSession, records: Sequence[EventRecord]) -> InsertedEvents:
    """One multi-row INSERT for the events; their ids, the stream's sequence numbers, come back
    with it. On PostgreSQL it is sent on psycopg's cursor: inside `nodes.pipelined` the ids are
    read after the pipeline's end, with the other statements' answers, instead of costing a
    round trip of their own (SQLAlchemy would read them at once)."""
    inserted = InsertedEvents(records, [_row(record) for record in records])
    if not inserted.rows:
        return inserted
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        inserted.ids = dict((await connection.execute(_INSERT, inserted.rows)).tuples().all())
        return inserted
    driver = await driver_connection(session)
    for start in range(0, len(inserted.rows), _PG_ROWS_PER_INSERT):
        chunk = inserted.rows[start : start + _PG_ROWS_PER_INSERT]
        cursor = driver.cursor()
        await cursor.execute(_pg_insert(len(chunk)), _pg_parameters(chunk))
        inserted.answers.append(cursor)
    return inserted


async def publish_events(
    session: AsyncSession, inserted: InsertedEvents, webhook: WebhookTarget | None
) -> None:
    """The event callbacks go in the outbox, and the pushes wait for the commit."""
    ids = await inserted.read_ids()
    for record, row in zip(inserted.records, inserted.rows, strict=True):
        if webhook is not None and webhook.admits(record.event_type):
            enqueue_http(session, "event_callback", webhook.url, callback_form(row, webhook))
    session.info.setdefault(PENDING_KEY, []).extend(
        _payload(ids[row["sid"]], row) for row in inserted.rows
    )


async def record_events(
    session: AsyncSession, records: Sequence[EventRecord], webhook: WebhookTarget | None
) -> None:
    await publish_events(session, await insert_events(session, records), webhook)


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
