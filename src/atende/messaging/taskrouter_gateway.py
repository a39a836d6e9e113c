"""The TaskRouter service as conversations need it (see `routing.TaskGateway`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.runtime import Runtime
from atende.taskrouter import models
from atende.taskrouter.routing_manager import RoutingManager
from atende.taskrouter.service import TaskRouterService
from atende.taskrouter.service_base import routing_manager

ASSIGNED = ("assigned", "wrapping")
WAITING = ("pending", "reserved")


class TaskRouterGateway:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _service(self, session: AsyncSession) -> TaskRouterService:
        return TaskRouterService(session, self.runtime)

    async def workspace_of(self, session: AsyncSession, workflow_sid: str) -> str | None:
        workflow = await session.get(models.Workflow, workflow_sid)
        return workflow.workspace_sid if workflow is not None else None

    async def only_workflow(self, session: AsyncSession) -> str | None:
        sids = (await session.scalars(select(models.Workflow.sid).limit(2))).all()
        return sids[0] if len(sids) == 1 else None

    async def create_task(
        self,
        session: AsyncSession,
        *,
        workspace_sid: str,
        workflow_sid: str,
        attributes: dict[str, Any],
        task_channel: str,
        priority: int | None = None,
        timeout: int | None = None,
    ) -> str:
        service = self._service(session)
        new = await service.new_task(
            workspace_sid, workflow_sid, attributes, task_channel, priority, timeout
        )
        await service.route_new_task(new, deferrable=True)
        return new.sid

    def defer_writes(self, session: AsyncSession) -> None:
        self._manager.defer_writes(session)

    async def write_deferred(self, session: AsyncSession) -> None:
        await self._manager.write_deferred(session)

    @property
    def _manager(self) -> RoutingManager:
        return routing_manager(self.runtime)

    async def finish_task(
        self, session: AsyncSession, workspace_sid: str, task_sid: str, reason: str
    ) -> None:
        """Complete a task an agent holds, cancel one still waiting; a finished one stays."""
        service = self._service(session)
        task = await session.get(models.Task, task_sid)
        if task is None:
            return
        if task.assignment_status in ASSIGNED:
            await service.complete_task(workspace_sid, task_sid, reason)
        elif task.assignment_status in WAITING:
            await service.cancel_task(workspace_sid, task_sid, reason)

    async def accepted_worker(self, session: AsyncSession, task_sid: str) -> str | None:
        query = select(models.Reservation.worker_sid).where(
            models.Reservation.task_sid == task_sid,
            models.Reservation.reservation_status.in_(("accepted", "wrapping", "completed")),
        )
        return await session.scalar(query.limit(1))
