"""The TaskRouter service as conversations need it (see `routing.TaskGateway`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.runtime import Runtime
from atende.taskrouter import models


class TaskRouterGateway:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def workspace_of(self, session: AsyncSession, workflow_sid: str) -> str | None:
        workflow = await session.get(models.Workflow, workflow_sid)
        return workflow.workspace_sid if workflow is not None else None

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
        raise NotImplementedError("waiting for atende.taskrouter.service")

    async def finish_task(
        self, session: AsyncSession, workspace_sid: str, task_sid: str, reason: str
    ) -> None:
        raise NotImplementedError("waiting for atende.taskrouter.service")

    async def accepted_worker(self, session: AsyncSession, task_sid: str) -> str | None:
        query = select(models.Reservation.worker_sid).where(
            models.Reservation.task_sid == task_sid,
            models.Reservation.reservation_status.in_(("accepted", "wrapping", "completed")),
        )
        return await session.scalar(query.limit(1))
