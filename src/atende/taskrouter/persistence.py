"""The routing engine's durable copy: rows to snapshot on load, changed rows back after a command.

The engine owns routing state (statuses, positions, timers, idleness); the rows also hold what
only the API knows (the attributes text as the client sent it, creation-only options). So a
change upserts only the engine-owned columns, and attribute texts are written when given.

Reservation rows are updated with a guard on their current status (`accepted` only from
`pending`, ...): if another process moved the row first, the command fails instead of accepting a
reservation twice."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atende.routing.engine import RoutingEngine
from atende.routing.model import (
    Activity,
    QueueOrder,
    Reservation,
    ReservationStatus,
    Task,
    TaskChannel,
    TaskQueue,
    TaskStatus,
    Worker,
    WorkerChannel,
    Workflow,
    WorkspaceSettings,
)
from atende.routing.state import RoutingChanges, RoutingSnapshot
from atende.routing.workflow import parse_workflow_configuration
from atende.sids import new_sid
from atende.taskrouter import models
from atende.taskrouter.errors import conflict
from atende.taskrouter.upserts import bump_version, copy_columns, upsert

_TERMINAL = (TaskStatus.COMPLETED.value, TaskStatus.CANCELED.value)

# Which stored status each new reservation status may replace.
_ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "pending": ("pending",),
    "accepted": ("pending",),
    "rejected": ("pending",),
    "timeout": ("pending",),
    "rescinded": ("pending",),
    "canceled": ("pending", "accepted", "wrapping"),
    "wrapping": ("accepted", "wrapping"),
    "completed": ("accepted", "wrapping"),
}


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def to_epoch(value: datetime) -> float:
    return value.timestamp()


def _optional_datetime(epoch: float | None) -> datetime | None:
    return None if epoch is None else to_datetime(epoch)


def _optional_epoch(value: datetime | None) -> float | None:
    return None if value is None else to_epoch(value)


def dump_json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# ------------------------------------------------------------------------ rows -> engine


def settings_of(row: models.Workspace) -> WorkspaceSettings:
    return WorkspaceSettings(
        default_activity_sid=row.default_activity_sid,
        timeout_activity_sid=row.timeout_activity_sid,
        multi_task_enabled=row.multi_task_enabled,
        prioritize_queue_order=QueueOrder(row.prioritize_queue_order),
    )


def activity_of(row: models.Activity) -> Activity:
    return Activity(sid=row.sid, friendly_name=row.friendly_name, available=row.available)


def task_channel_of(row: models.TaskChannel) -> TaskChannel:
    return TaskChannel(
        sid=row.sid,
        unique_name=row.unique_name,
        friendly_name=row.friendly_name,
        channel_optimized_routing=bool(row.channel_optimized_routing),
    )


def task_queue_of(row: models.TaskQueue) -> TaskQueue:
    return TaskQueue(
        sid=row.sid,
        friendly_name=row.friendly_name,
        target_workers=row.target_workers or "1==1",
        task_order=QueueOrder(row.task_order),
        max_reserved_workers=row.max_reserved_workers,
        reservation_activity_sid=row.reservation_activity_sid,
        assignment_activity_sid=row.assignment_activity_sid,
    )


def workflow_of(row: models.Workflow) -> Workflow:
    return Workflow(
        sid=row.sid,
        friendly_name=row.friendly_name,
        configuration=parse_workflow_configuration(row.configuration),
        task_reservation_timeout=row.task_reservation_timeout,
    )


def _worker_of(row: models.Worker, channels: Iterable[models.WorkerChannel]) -> Worker:
    return Worker(
        sid=row.sid,
        friendly_name=row.friendly_name,
        attributes=json.loads(row.attributes),
        activity_sid=row.activity_sid,
        available=row.available,
        activity_changed_at=to_epoch(row.date_status_changed),
        idle_since=to_epoch(row.idle_since),
        channels={
            channel.task_channel_sid: WorkerChannel(
                task_channel_sid=channel.task_channel_sid,
                configured_capacity=channel.configured_capacity,
                available=channel.available,
                idle_since=to_epoch(channel.idle_since),
            )
            for channel in channels
        },
    )


def _task_of(row: models.Task) -> Task:
    assert row.workflow_sid is not None
    return Task(
        sid=row.sid,
        attributes=json.loads(row.attributes),
        priority=row.priority,
        task_channel_sid=row.task_channel_sid,
        workflow_sid=row.workflow_sid,
        created_at=to_epoch(row.date_created),
        timeout=row.timeout,
        assignment_status=TaskStatus(row.assignment_status),
        reason=row.reason,
        updated_at=to_epoch(row.date_updated),
        virtual_start_time=to_epoch(row.virtual_start_time),
        queue_sid=row.task_queue_sid,
        queue_entered_at=_optional_epoch(row.task_queue_entered_date),
        filter_index=row.filter_index,
        target_index=row.target_index,
        target_entered_at=_optional_epoch(row.target_entered_at),
        target_timeout_base=_optional_epoch(row.target_timeout_base) or 0.0,
        target_deadline=_optional_epoch(row.target_deadline),
        routing_target=row.routing_target,
        ignore_capacity=row.ignore_capacity,
    )


def _reservation_of(row: models.Reservation) -> Reservation:
    return Reservation(
        sid=row.sid,
        task_sid=row.task_sid,
        worker_sid=row.worker_sid,
        queue_sid=row.task_queue_sid,
        workflow_sid=row.workflow_sid,
        task_channel_sid=row.task_channel_sid,
        created_at=to_epoch(row.date_created),
        timeout_at=to_epoch(row.timeout_at),
        status=ReservationStatus(row.reservation_status),
        updated_at=to_epoch(row.date_updated),
        previous_activity_sid=row.previous_activity_sid,
    )


async def _all(session: AsyncSession, model: Any, workspace_sid: str) -> list[Any]:
    result = await session.execute(select(model).where(model.workspace_sid == workspace_sid))
    return list(result.scalars())


async def load_snapshot(session: AsyncSession, workspace: models.Workspace) -> RoutingSnapshot:
    """Everything the engine needs about one workspace: its live tasks, not its history."""
    sid = workspace.sid
    channels_by_worker: dict[str, list[models.WorkerChannel]] = {}
    for channel in await _all(session, models.WorkerChannel, sid):
        channels_by_worker.setdefault(channel.worker_sid, []).append(channel)
    task_rows = list(
        (
            await session.execute(
                select(models.Task).where(
                    models.Task.workspace_sid == sid,
                    models.Task.assignment_status.not_in(_TERMINAL),
                )
            )
        ).scalars()
    )
    reservation_rows = list(
        (
            await session.execute(
                select(models.Reservation)
                .join(models.Task, models.Task.sid == models.Reservation.task_sid)
                .where(
                    models.Task.workspace_sid == sid,
                    models.Task.assignment_status.not_in(_TERMINAL),
                )
            )
        ).scalars()
    )
    return RoutingSnapshot(
        settings=settings_of(workspace),
        activities=[activity_of(row) for row in await _all(session, models.Activity, sid)],
        task_channels=[
            task_channel_of(row) for row in await _all(session, models.TaskChannel, sid)
        ],
        task_queues=[task_queue_of(row) for row in await _all(session, models.TaskQueue, sid)],
        workflows=[workflow_of(row) for row in await _all(session, models.Workflow, sid)],
        workers=[
            _worker_of(row, channels_by_worker.get(row.sid, ()))
            for row in await _all(session, models.Worker, sid)
        ],
        tasks=[_task_of(row) for row in task_rows],
        reservations=sorted(
            (_reservation_of(row) for row in reservation_rows), key=lambda r: r.created_at
        ),
    )


# ------------------------------------------------------------------------ engine -> rows


_TASK_ENGINE_COLUMNS: tuple[str, ...] = (
    "workflow_sid",
    "task_queue_sid",
    "task_channel_sid",
    "assignment_status",
    "priority",
    "timeout",
    "reason",
    "filter_index",
    "target_index",
    "target_entered_at",
    "target_timeout_base",
    "target_deadline",
    "task_queue_entered_date",
    "virtual_start_time",
    "date_updated",
)

_WORKER_ENGINE_COLUMNS: tuple[str, ...] = (
    "friendly_name",
    "activity_sid",
    "available",
    "date_status_changed",
    "idle_since",
    "date_updated",
)


@dataclass
class StoredRows:
    """What this node knows the database holds for a workspace, so a command writes only rows
    that really changed: an offer changes a worker's channel, and the engine reports the whole
    worker as changed, but rewriting an unchanged worker row costs a statement per task."""

    reservations: set[str] = field(default_factory=set)
    """Reservations that have a row (the others are inserted, not updated)."""
    workers: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    """Worker SID -> the engine's columns as last written."""
    channels: dict[str, dict[str, tuple[Any, ...]]] = field(default_factory=dict)
    """Worker SID -> channel SID -> that channel's columns as last written: an offer changes one
    of a worker's channels, and only that row is written."""

    def changed(self, known: dict[str, tuple[Any, ...]], sid: str, state: tuple[Any, ...]) -> bool:
        if known.get(sid) == state:
            return False
        known[sid] = state
        return True

    def changed_channels(self, worker: Worker) -> list[WorkerChannel]:
        """The worker's channels that differ from their rows, from now on counted as written."""
        known = self.channels.setdefault(worker.sid, {})
        for gone in known.keys() - worker.channels.keys():
            del known[gone]
        return [
            channel
            for sid, channel in sorted(worker.channels.items())
            if self.changed(known, sid, _channel_state(channel))
        ]

    def remember(self, workers: Iterable[Worker]) -> None:
        """The database holds these workers as they are now (just loaded and written): the
        first command to touch each need not rewrite it."""
        for worker in workers:
            self.workers[worker.sid] = _worker_state(worker)
            self.channels[worker.sid] = {
                sid: _channel_state(channel) for sid, channel in worker.channels.items()
            }


def _worker_state(worker: Worker) -> tuple[Any, ...]:
    return (
        worker.friendly_name,
        worker.activity_sid,
        worker.available,
        worker.activity_changed_at,
        worker.idle_since,
    )


def _channel_state(channel: WorkerChannel) -> tuple[Any, ...]:
    return (channel.configured_capacity, channel.available, channel.idle_since)


def _task_row(workspace_sid: str, task: Task, attributes: str | None) -> dict[str, Any]:
    return {
        "sid": task.sid,
        "workspace_sid": workspace_sid,
        "workflow_sid": task.workflow_sid,
        "task_queue_sid": task.queue_sid,
        "task_channel_sid": task.task_channel_sid,
        "attributes": attributes if attributes is not None else dump_json(task.attributes),
        "assignment_status": task.assignment_status.value,
        "priority": task.priority,
        "timeout": task.timeout,
        "reason": task.reason,
        "filter_index": task.filter_index,
        "target_index": task.target_index,
        "target_entered_at": _optional_datetime(task.target_entered_at),
        "target_timeout_base": _optional_datetime(task.target_timeout_base),
        "target_deadline": _optional_datetime(task.target_deadline),
        "task_queue_entered_date": _optional_datetime(task.queue_entered_at),
        "virtual_start_time": to_datetime(task.virtual_start_time),
        "date_created": to_datetime(task.created_at),
        "date_updated": to_datetime(task.updated_at or task.created_at),
        "routing_target": task.routing_target,
        "ignore_capacity": task.ignore_capacity,
        "version": 0,
    }


def new_task_row(workspace_sid: str, task: Task, attributes: str) -> models.Task:
    """The row a task creation just wrote, built from the engine instead of read back."""
    return models.Task(**_task_row(workspace_sid, task, attributes))


def _worker_row(
    workspace_sid: str, worker: Worker, attributes: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "sid": worker.sid,
        "workspace_sid": workspace_sid,
        "friendly_name": worker.friendly_name,
        "attributes": attributes if attributes is not None else dump_json(worker.attributes),
        "activity_sid": worker.activity_sid,
        "available": worker.available,
        "date_status_changed": to_datetime(worker.activity_changed_at),
        "idle_since": to_datetime(worker.idle_since),
        "version": 0,
        "date_created": now,
        "date_updated": now,
    }


def _worker_channel_row(
    workspace_sid: str, worker_sid: str, channel: WorkerChannel, now: datetime
) -> dict[str, Any]:
    return {
        "sid": new_sid("WC"),
        "workspace_sid": workspace_sid,
        "worker_sid": worker_sid,
        "task_channel_sid": channel.task_channel_sid,
        "configured_capacity": channel.configured_capacity,
        "available": channel.available,
        "idle_since": to_datetime(channel.idle_since),
        "date_created": now,
        "date_updated": now,
    }


def _reservation_values(reservation: Reservation) -> dict[str, Any]:
    return {
        "reservation_status": reservation.status.value,
        "timeout_at": to_datetime(reservation.timeout_at),
        "previous_activity_sid": reservation.previous_activity_sid,
        "date_updated": to_datetime(reservation.updated_at or reservation.created_at),
    }


async def _update_reservation(session: AsyncSession, reservation: Reservation) -> None:
    """Only from a status the new one may follow: if another node moved the row first (an
    accept racing an accept), nothing is written and the command fails."""
    table = models.Reservation
    status = reservation.status.value
    result = await session.execute(
        update(table)
        .where(table.sid == reservation.sid, table.reservation_status.in_(_ALLOWED_FROM[status]))
        .values(version=table.version + 1, **_reservation_values(reservation))
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        stored = await session.scalar(
            select(table.reservation_status).where(table.sid == reservation.sid)
        )
        raise conflict(
            f"Reservation {reservation.sid} is already {stored}; it cannot become {status}"
        )


# The table, not the class: a Core INSERT skips the ORM's unit of work for rows it never reads.
RESERVATIONS = cast(Table, models.Reservation.__table__)


def _reservation_row(workspace_sid: str, reservation: Reservation) -> dict[str, Any]:
    return {
        "sid": reservation.sid,
        "workspace_sid": workspace_sid,
        "task_sid": reservation.task_sid,
        "worker_sid": reservation.worker_sid,
        "task_queue_sid": reservation.queue_sid,
        "workflow_sid": reservation.workflow_sid,
        "task_channel_sid": reservation.task_channel_sid,
        "date_created": to_datetime(reservation.created_at),
        "version": 0,
        **_reservation_values(reservation),
    }


async def save_changes(
    session: AsyncSession,
    workspace_sid: str,
    engine: RoutingEngine,
    changes: RoutingChanges,
    stored: StoredRows,
    now: datetime,
    attribute_texts: Mapping[str, str] | None = None,
) -> CheckedWrites:
    """Write exactly the rows the command changed, except those whose answer matters, which
    are returned for `save_checked`: this part reads no result, so on PostgreSQL it can be
    pipelined.

    `stored` says which rows exist and what they hold (kept up to date here): a new
    reservation is inserted without first trying an update, and unchanged workers and worker
    channels are not written again. `attribute_texts` holds
    the attributes, as the client wrote them, of the tasks and workers whose attributes this
    command set; others keep the stored text."""
    texts = attribute_texts or {}
    deleted_tasks = sorted(sid for sid in changes.task_sids if sid not in engine.tasks)
    deleted_workers = sorted(sid for sid in changes.worker_sids if sid not in engine.workers)
    live_tasks = [engine.tasks[sid] for sid in sorted(changes.task_sids) if sid in engine.tasks]
    changed_workers = [
        engine.workers[sid] for sid in sorted(changes.worker_sids) if sid in engine.workers
    ]
    live_workers = [
        worker
        for worker in changed_workers
        if stored.changed(stored.workers, worker.sid, _worker_state(worker)) or worker.sid in texts
    ]
    channel_rows = [
        _worker_channel_row(workspace_sid, worker.sid, channel, now)
        for worker in changed_workers
        for channel in stored.changed_channels(worker)
    ]
    for with_text in (False, True):
        attributes = ("attributes",) if with_text else ()
        await upsert(
            session,
            models.Worker,
            [
                _worker_row(workspace_sid, w, texts.get(w.sid), now)
                for w in live_workers
                if (w.sid in texts) is with_text
            ],
            key=("sid",),
            assignments=(
                *copy_columns(_WORKER_ENGINE_COLUMNS + attributes),
                bump_version(models.Worker),
            ),
        )
        await upsert(
            session,
            models.Task,
            [
                _task_row(workspace_sid, t, texts.get(t.sid))
                for t in live_tasks
                if (t.sid in texts) is with_text
            ],
            key=("sid",),
            assignments=(
                *copy_columns(_TASK_ENGINE_COLUMNS + attributes),
                bump_version(models.Task),
            ),
        )
    await upsert(
        session,
        models.WorkerChannel,
        channel_rows,
        key=("worker_sid", "task_channel_sid"),
        assignments=copy_columns(
            ("configured_capacity", "available", "idle_since", "date_updated")
        ),
    )
    new_reservations = []
    checked = CheckedWrites(deleted_tasks=deleted_tasks, deleted_workers=deleted_workers)
    for sid in sorted(changes.reservation_sids):
        reservation = engine.reservations.get(sid)
        if reservation is None:
            stored.reservations.discard(sid)
        elif sid in stored.reservations:
            checked.reservations.append(reservation)
        else:
            new_reservations.append(_reservation_row(workspace_sid, reservation))
            stored.reservations.add(sid)
    if new_reservations:
        await session.execute(insert(RESERVATIONS), new_reservations)
    if len(stored.reservations) > 2 * len(engine.reservations) + 1024:
        stored.reservations.intersection_update(engine.reservations.keys())
    for sid in deleted_workers:
        stored.workers.pop(sid, None)
        stored.channels.pop(sid, None)
    return checked


@dataclass
class CheckedWrites:
    """Writes whose outcome is read: a reservation update must find the row in the status it
    may follow (an accept racing another node's), and deletes come last."""

    deleted_tasks: list[str]
    deleted_workers: list[str]
    reservations: list[Reservation] = field(default_factory=list)


async def save_checked(session: AsyncSession, checked: CheckedWrites) -> None:
    for reservation in checked.reservations:
        await _update_reservation(session, reservation)
    await _delete_rows(session, checked.deleted_tasks, checked.deleted_workers)


async def _delete_rows(
    session: AsyncSession, task_sids: Sequence[str], worker_sids: Sequence[str]
) -> None:
    if task_sids:
        await session.execute(
            delete(models.Reservation).where(models.Reservation.task_sid.in_(task_sids))
        )
        await session.execute(delete(models.Task).where(models.Task.sid.in_(task_sids)))
    if worker_sids:
        await session.execute(
            delete(models.WorkerChannel).where(models.WorkerChannel.worker_sid.in_(worker_sids))
        )
        await session.execute(delete(models.Worker).where(models.Worker.sid.in_(worker_sids)))
