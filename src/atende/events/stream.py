"""A resumable push stream: replay what the client missed from the stored log, then go live.

The subscription is opened *before* the replay query, and live events already replayed are
skipped by sequence, so nothing falls in the gap between the two (the laptop-sleep problem)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from atende.events.bus import EventBus, Predicate, StreamEvent
from atende.events.record import stream_payload
from atende.events.repository import EventRepository
from atende.runtime import Runtime

REPLAY_PAGE = 1000


class StreamLagged(Exception):
    """The consumer fell too far behind; it should reconnect with its last sequence."""


async def resumable_stream(
    runtime: Runtime,
    bus: EventBus,
    predicate: Predicate,
    after: int | None,
    *,
    workspace_sid: str | None = None,
    worker_sid: str | None = None,
) -> AsyncIterator[StreamEvent]:
    with bus.subscribe(predicate) as subscription:
        last = after
        if last is None:
            async with runtime.sessions() as session:
                last = await EventRepository(session).last_sequence()
        while True:
            async with runtime.sessions() as session:
                rows = await EventRepository(session).after(
                    last, workspace_sid=workspace_sid, worker_sid=worker_sid, limit=REPLAY_PAGE
                )
            for row in rows:
                yield stream_payload(row)
                last = row.id
            if len(rows) < REPLAY_PAGE:
                break
        while True:
            event = await subscription.get()
            if subscription.lagging:
                raise StreamLagged
            if event["seq"] > last:
                last = event["seq"]
                yield event
