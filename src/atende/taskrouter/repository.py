"""Every query of the TaskRouter domain (reads; the engine's writes live in `persistence`).

Lists take a `PageRequest`-like (offset, limit) and return up to `limit` rows (one more than a
page, so the caller learns whether a next page exists). Rows are read with `populate_existing`
because commands update them with Core statements that bypass the session's identity map."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from atende.taskrouter import models

Row = TypeVar("Row")


class Window(Protocol):
    @property
    def offset(self) -> int: ...

    @property
    def limit(self) -> int: ...


_ORDER_FIELDS = {
    "DateCreated": "date_created",
    "DateUpdated": "date_updated",
    "Priority": "priority",
    "FriendlyName": "friendly_name",
}


def ordering(model: Any, text: str | None, allowed: Collection[str]) -> list[Any]:
    """TaskRouter's `Ordering=Priority:desc,DateCreated:asc`; unknown fields raise ValueError."""
    clauses: list[Any] = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, _, direction = part.strip().partition(":")
        if name not in allowed or direction.lower() not in ("", "asc", "desc"):
            raise ValueError(part.strip())
        column = getattr(model, _ORDER_FIELDS[name])
        clauses.append(column.desc() if direction.lower() == "desc" else column.asc())
    return [*clauses, model.date_created.asc(), model.sid.asc()]


class TaskRouterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _one(self, query: Select[tuple[Row]]) -> Row | None:
        result = await self.session.execute(query.execution_options(populate_existing=True))
        return result.scalars().first()

    async def _page(self, query: Select[tuple[Row]], window: Window) -> list[Row]:
        result = await self.session.execute(
            query.offset(window.offset)
            .limit(window.limit)
            .execution_options(populate_existing=True)
        )
        return list(result.scalars())

    async def _filtered_page(
        self, query: Select[tuple[Row]], window: Window, keep: Callable[[Row], bool]
    ) -> list[Row]:
        """A page of rows passing a test SQL cannot express (an expression on attributes)."""
        kept: list[Row] = []
        skipped = 0
        result = await self.session.stream(query.execution_options(yield_per=500))
        async for row in result.scalars():
            if not keep(row):
                continue
            if skipped < window.offset:
                skipped += 1
                continue
            kept.append(row)
            if len(kept) >= window.limit:
                break
        await result.close()
        return kept

    async def _in_workspace(self, model: Any, workspace_sid: str, sid: str) -> Any:
        return await self._one(
            select(model).where(model.workspace_sid == workspace_sid, model.sid == sid)
        )

    # -------------------------------------------------------------- workspaces

    async def workspace(self, sid: str) -> models.Workspace | None:
        return await self._one(select(models.Workspace).where(models.Workspace.sid == sid))

    async def workspaces(
        self, account_sid: str, friendly_name: str | None, window: Window
    ) -> list[models.Workspace]:
        query = select(models.Workspace).where(models.Workspace.account_sid == account_sid)
        if friendly_name is not None:
            query = query.where(models.Workspace.friendly_name == friendly_name)
        return await self._page(query.order_by(*ordering(models.Workspace, None, ())), window)

    async def workflow_sids(self, workspace_sid: str) -> list[str]:
        result = await self.session.execute(
            select(models.Workflow.sid).where(models.Workflow.workspace_sid == workspace_sid)
        )
        return list(result.scalars())

    # --------------------------------------------------------------- resources

    async def activity(self, workspace_sid: str, sid: str) -> models.Activity | None:
        found: models.Activity | None = await self._in_workspace(
            models.Activity, workspace_sid, sid
        )
        return found

    async def activities(
        self,
        workspace_sid: str,
        friendly_name: str | None,
        available: bool | None,
        window: Window,
    ) -> list[models.Activity]:
        query = select(models.Activity).where(models.Activity.workspace_sid == workspace_sid)
        if friendly_name is not None:
            query = query.where(models.Activity.friendly_name == friendly_name)
        if available is not None:
            query = query.where(models.Activity.available == available)
        return await self._page(query.order_by(*ordering(models.Activity, None, ())), window)

    async def task_channel(self, workspace_sid: str, sid_or_name: str) -> models.TaskChannel | None:
        channel = models.TaskChannel
        column = channel.sid if sid_or_name.startswith("TC") else channel.unique_name
        return await self._one(
            select(channel).where(channel.workspace_sid == workspace_sid, column == sid_or_name)
        )

    async def task_channels(self, workspace_sid: str, window: Window) -> list[models.TaskChannel]:
        query = select(models.TaskChannel).where(models.TaskChannel.workspace_sid == workspace_sid)
        return await self._page(query.order_by(*ordering(models.TaskChannel, None, ())), window)

    async def task_queue(self, workspace_sid: str, sid: str) -> models.TaskQueue | None:
        found: models.TaskQueue | None = await self._in_workspace(
            models.TaskQueue, workspace_sid, sid
        )
        return found

    async def task_queue_by_name(self, workspace_sid: str, name: str) -> models.TaskQueue | None:
        queue = models.TaskQueue
        return await self._one(
            select(queue).where(queue.workspace_sid == workspace_sid, queue.friendly_name == name)
        )

    async def task_queues(
        self,
        workspace_sid: str,
        *,
        friendly_name: str | None,
        sids: Collection[str] | None,
        order: str | None,
        window: Window,
    ) -> list[models.TaskQueue]:
        queue = models.TaskQueue
        query = select(queue).where(queue.workspace_sid == workspace_sid)
        if friendly_name is not None:
            query = query.where(queue.friendly_name == friendly_name)
        if sids is not None:
            query = query.where(queue.sid.in_(sorted(sids)))
        allowed = ("DateCreated", "DateUpdated", "FriendlyName")
        return await self._page(query.order_by(*ordering(queue, order, allowed)), window)

    async def workflow(self, workspace_sid: str, sid: str) -> models.Workflow | None:
        found: models.Workflow | None = await self._in_workspace(
            models.Workflow, workspace_sid, sid
        )
        return found

    async def workflow_by_name(self, workspace_sid: str, name: str) -> models.Workflow | None:
        workflow = models.Workflow
        return await self._one(
            select(workflow).where(
                workflow.workspace_sid == workspace_sid, workflow.friendly_name == name
            )
        )

    async def workflows(
        self, workspace_sid: str, friendly_name: str | None, window: Window
    ) -> list[models.Workflow]:
        query = select(models.Workflow).where(models.Workflow.workspace_sid == workspace_sid)
        if friendly_name is not None:
            query = query.where(models.Workflow.friendly_name == friendly_name)
        return await self._page(query.order_by(*ordering(models.Workflow, None, ())), window)

    # ----------------------------------------------------------------- workers

    async def worker(self, workspace_sid: str, sid: str) -> models.Worker | None:
        found: models.Worker | None = await self._in_workspace(models.Worker, workspace_sid, sid)
        return found

    async def workers(
        self,
        workspace_sid: str,
        *,
        activity_sid: str | None = None,
        available: bool | None = None,
        friendly_name: str | None = None,
        sids: Collection[str] | None = None,
        order: str | None = None,
        window: Window,
    ) -> list[models.Worker]:
        worker = models.Worker
        query = select(worker).where(worker.workspace_sid == workspace_sid)
        if activity_sid is not None:
            query = query.where(worker.activity_sid == activity_sid)
        if available is not None:
            query = query.where(worker.available == available)
        if friendly_name is not None:
            query = query.where(worker.friendly_name == friendly_name)
        if sids is not None:
            query = query.where(worker.sid.in_(sorted(sids)))
        allowed = ("DateCreated", "DateUpdated")
        return await self._page(query.order_by(*ordering(worker, order, allowed)), window)

    async def worker_channel(
        self, workspace_sid: str, worker_sid: str, sid: str
    ) -> models.WorkerChannel | None:
        channel = models.WorkerChannel
        query = select(channel).where(
            channel.workspace_sid == workspace_sid, channel.worker_sid == worker_sid
        )
        if sid.startswith("WC"):
            query = query.where(channel.sid == sid)
        else:
            task_channel = await self.task_channel(workspace_sid, sid)
            if task_channel is None:
                return None
            query = query.where(channel.task_channel_sid == task_channel.sid)
        return await self._one(query)

    async def worker_channels(
        self, workspace_sid: str, worker_sid: str, window: Window
    ) -> list[models.WorkerChannel]:
        channel = models.WorkerChannel
        query = select(channel).where(
            channel.workspace_sid == workspace_sid, channel.worker_sid == worker_sid
        )
        return await self._page(query.order_by(*ordering(channel, None, ())), window)

    # ------------------------------------------------------------------- tasks

    async def task(self, workspace_sid: str, sid: str) -> models.Task | None:
        found: models.Task | None = await self._in_workspace(models.Task, workspace_sid, sid)
        return found

    async def tasks(
        self,
        workspace_sid: str,
        *,
        priority: int | None = None,
        statuses: Sequence[str] = (),
        workflow_sid: str | None = None,
        task_queue_sid: str | None = None,
        routing_target: str | None = None,
        matches: Callable[[dict[str, Any]], bool] | None = None,
        order: str | None = None,
        window: Window,
    ) -> list[models.Task]:
        task = models.Task
        query = select(task).where(task.workspace_sid == workspace_sid)
        filters: list[tuple[InstrumentedAttribute[Any], Any]] = [
            (task.priority, priority),
            (task.workflow_sid, workflow_sid),
            (task.task_queue_sid, task_queue_sid),
            (task.routing_target, routing_target),
        ]
        for column, value in filters:
            if value is not None:
                query = query.where(column == value)
        if statuses:
            query = query.where(task.assignment_status.in_(list(statuses)))
        query = query.order_by(*ordering(task, order, ("DateCreated", "Priority")))
        if matches is None:
            return await self._page(query, window)
        test = matches
        return await self._filtered_page(
            query, window, lambda row: test(json.loads(row.attributes))
        )

    async def reservation(
        self,
        workspace_sid: str,
        sid: str,
        *,
        task_sid: str | None = None,
        worker_sid: str | None = None,
    ) -> models.Reservation | None:
        reservation = models.Reservation
        query = select(reservation).where(
            reservation.workspace_sid == workspace_sid, reservation.sid == sid
        )
        if task_sid is not None:
            query = query.where(reservation.task_sid == task_sid)
        if worker_sid is not None:
            query = query.where(reservation.worker_sid == worker_sid)
        return await self._one(query)

    async def reservations(
        self,
        workspace_sid: str,
        *,
        task_sid: str | None = None,
        worker_sid: str | None = None,
        status: str | None = None,
        window: Window,
    ) -> list[models.Reservation]:
        reservation = models.Reservation
        query = select(reservation).where(reservation.workspace_sid == workspace_sid)
        if task_sid is not None:
            query = query.where(reservation.task_sid == task_sid)
        if worker_sid is not None:
            query = query.where(reservation.worker_sid == worker_sid)
        if status is not None:
            query = query.where(reservation.reservation_status == status)
        return await self._page(query.order_by(*ordering(reservation, None, ())), window)
