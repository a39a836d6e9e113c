"""Cumulative statistics as per-minute counters, written in the same transaction as the events.

Each event adds to a few (scope, channel, metric, minute) buckets: the workspace, the task's
workflow and queue, the reserved worker. A statistics request sums the buckets of its window, so
it costs the minutes asked, not the tasks or workers. Windows are whole minutes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.routing.engine import RoutingEngine
from atende.routing.events import EventType, RoutingEvent
from atende.taskrouter import models
from atende.taskrouter.upserts import upsert

RESERVATION_METRICS = {
    EventType.RESERVATION_CREATED: "reservations_created",
    EventType.RESERVATION_ACCEPTED: "reservations_accepted",
    EventType.RESERVATION_REJECTED: "reservations_rejected",
    EventType.RESERVATION_TIMEOUT: "reservations_timed_out",
    EventType.RESERVATION_CANCELED: "reservations_canceled",
    EventType.RESERVATION_RESCINDED: "reservations_rescinded",
}
TASK_METRICS = {
    EventType.TASK_CANCELED: "tasks_canceled",
    EventType.TASK_COMPLETED: "tasks_completed",
    EventType.TASK_DELETED: "tasks_deleted",
    EventType.TASK_QUEUE_MOVED: "tasks_moved",
}
ACTIVITY_PREFIX = "activity:"

Sample = tuple[str, str, str, float | None]
"""(scope SID, task channel SID or "", metric, duration sample or None for a plain count)."""


def minute_of(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch - epoch % 60, UTC)


def _samples(workspace_sid: str, event: RoutingEvent, engine: RoutingEngine) -> Iterable[Sample]:
    kind = event.event_type
    channel = event.task_channel_sid or ""
    task_scopes = [s for s in (workspace_sid, event.workflow_sid, event.queue_sid) if s]
    if kind == EventType.TASK_CREATED:
        yield workspace_sid, channel, "tasks_created", None
    elif kind == EventType.WORKFLOW_ENTERED and event.workflow_sid:
        yield event.workflow_sid, channel, "tasks_entered", None
    elif kind == EventType.TASK_QUEUE_ENTERED and event.queue_sid:
        yield event.queue_sid, channel, "tasks_entered", None
    elif kind == EventType.WORKFLOW_TIMEOUT:
        for scope in (workspace_sid, event.workflow_sid):
            if scope:
                yield scope, channel, "tasks_timed_out_in_workflow", None
    elif kind in TASK_METRICS:
        for scope in task_scopes:
            yield scope, channel, TASK_METRICS[EventType(kind)], None
            if kind == EventType.TASK_CANCELED:
                yield scope, channel, "wait_until_canceled", float(event.task_age or 0)
    elif kind in RESERVATION_METRICS:
        metric = RESERVATION_METRICS[EventType(kind)]
        for scope in (*task_scopes, event.worker_sid):
            if scope:
                yield scope, channel, metric, None
        if kind == EventType.RESERVATION_ACCEPTED:
            yield from _acceptance_samples(event, engine, task_scopes, channel)
    elif kind == EventType.WORKER_ACTIVITY_UPDATE and event.worker_previous_activity_sid:
        metric = ACTIVITY_PREFIX + event.worker_previous_activity_sid
        elapsed = float(event.worker_time_in_previous_activity or 0.0)
        for scope in (workspace_sid, event.worker_sid):
            if scope:
                yield scope, "", metric, elapsed


def _acceptance_samples(
    event: RoutingEvent, engine: RoutingEngine, task_scopes: Sequence[str], channel: str
) -> Iterable[Sample]:
    age = float(event.task_age or 0)
    for scope in task_scopes:
        yield scope, channel, "wait_until_accepted", age
    task = engine.tasks.get(event.task_sid or "")
    if event.queue_sid and task is not None and task.queue_entered_at is not None:
        in_queue = max(event.occurred_at - task.queue_entered_at, 0.0)
        yield event.queue_sid, channel, "wait_in_queue_until_accepted", in_queue
    if event.worker_sid:
        yield event.worker_sid, channel, "tasks_assigned", None


async def record_cumulative(
    session: AsyncSession,
    workspace_sid: str,
    engine: RoutingEngine,
    events: Sequence[RoutingEvent],
) -> None:
    buckets: dict[tuple[str, str, str, datetime], list[Any]] = {}
    for event in events:
        minute = minute_of(event.occurred_at)
        for scope, channel, metric, value in _samples(workspace_sid, event, engine):
            bucket = buckets.setdefault((scope, channel, metric, minute), [0, 0.0, None, None])
            bucket[0] += 1
            if value is not None:
                bucket[1] += value
                bucket[2] = value if bucket[2] is None else min(bucket[2], value)
                bucket[3] = value if bucket[3] is None else max(bucket[3], value)
    if not buckets:
        return
    rows = [
        {
            "workspace_sid": workspace_sid,
            "scope_sid": scope,
            "task_channel_sid": channel,
            "metric": metric,
            "minute": minute,
            "count": count,
            "total": total,
            "minimum": minimum,
            "maximum": maximum,
        }
        for (scope, channel, metric, minute), (count, total, minimum, maximum) in buckets.items()
    ]
    least, greatest = ("LEAST", "GREATEST") if _dialect(session) == "postgresql" else ("MIN", "MAX")
    table = f'"{models.StatisticsBucket.__tablename__}"'
    await upsert(
        session,
        models.StatisticsBucket,
        rows,
        key=("workspace_sid", "scope_sid", "task_channel_sid", "metric", "minute"),
        assignments=(
            f'"count" = {table}."count" + excluded."count"',
            f'"total" = {table}."total" + excluded."total"',
            f'"minimum" = {least}(COALESCE({table}."minimum", excluded."minimum"), '
            f'COALESCE(excluded."minimum", {table}."minimum"))',
            f'"maximum" = {greatest}(COALESCE({table}."maximum", excluded."maximum"), '
            f'COALESCE(excluded."maximum", {table}."maximum"))',
        ),
    )


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime


DEFAULT_MINUTES = 15


def window(
    now: datetime,
    minutes: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Window:
    """TaskRouter's rules: `Minutes` back from now, else StartDate..EndDate, else 15 minutes."""
    end = end or now
    if minutes is not None:
        return Window(now - timedelta(minutes=minutes), now)
    return Window(start or end - timedelta(minutes=DEFAULT_MINUTES), end)


@dataclass(frozen=True, slots=True)
class Aggregate:
    count: int = 0
    total: float = 0.0
    minimum: float | None = None
    maximum: float | None = None

    def durations(self) -> dict[str, int]:
        """TaskRouter's `{avg, min, max, total}` in whole seconds."""
        avg = self.total / self.count if self.count else 0.0
        return {
            "avg": round(avg),
            "min": round(self.minimum or 0),
            "max": round(self.maximum or 0),
            "total": round(self.total),
        }


async def totals(
    session: AsyncSession,
    workspace_sid: str,
    scope_sid: str,
    span: Window,
    channel_sid: str | None = None,
) -> dict[str, Aggregate]:
    bucket = models.StatisticsBucket
    query = (
        select(
            bucket.metric,
            func.sum(bucket.count),
            func.sum(bucket.total),
            func.min(bucket.minimum),
            func.max(bucket.maximum),
        )
        .where(
            bucket.workspace_sid == workspace_sid,
            bucket.scope_sid == scope_sid,
            bucket.minute >= minute_of(span.start.timestamp()),
            bucket.minute <= span.end,
        )
        .group_by(bucket.metric)
    )
    if channel_sid is not None:
        query = query.where(bucket.task_channel_sid == channel_sid)
    result = await session.execute(query)
    return {
        metric: Aggregate(int(count or 0), float(total or 0.0), minimum, maximum)
        for metric, count, total, minimum, maximum in result
    }
