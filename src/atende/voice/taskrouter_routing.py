"""The routing port over the TaskRouter service, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.runtime import Runtime
from atende.taskrouter.event_records import Actor
from atende.taskrouter.service import TaskRouterService

VOICE_CHANNEL = "voice"
ACTOR = Actor("voice")


class TaskRouterRouting:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.service = TaskRouterService(session, runtime, ACTOR)

    async def create_task(
        self,
        workspace_sid: str,
        workflow_sid: str,
        attributes: Mapping[str, Any],
        *,
        priority: int | None = None,
        timeout: int | None = None,
    ) -> str:
        new = await self.service.new_task(
            workspace_sid, workflow_sid, attributes, VOICE_CHANNEL, priority, timeout
        )
        # Deferrable: a batch of webhooks writes its calls' tasks together (`atende.voice.batch`).
        await self.service.route_new_task(new, deferrable=True)
        return new.sid

    async def update_attributes(
        self, workspace_sid: str, task_sid: str, attributes: Mapping[str, Any]
    ) -> None:
        await self.service.update_task(workspace_sid, task_sid, attributes=attributes)

    async def cancel_task(self, workspace_sid: str, task_sid: str, reason: str) -> None:
        await self.service.cancel_task(workspace_sid, task_sid, reason)

    async def wrap_up_task(self, workspace_sid: str, task_sid: str, reason: str) -> None:
        await self.service.update_task(
            workspace_sid, task_sid, assignment_status="wrapping", reason=reason
        )

    async def complete_task(self, workspace_sid: str, task_sid: str, reason: str) -> None:
        await self.service.complete_task(workspace_sid, task_sid, reason)

    async def accept_reservation(self, workspace_sid: str, reservation_sid: str) -> None:
        await self.service.accept_reservation(workspace_sid, reservation_sid)

    async def reject_reservation(self, workspace_sid: str, reservation_sid: str) -> None:
        await self.service.reject_reservation(workspace_sid, reservation_sid)

    def defer_writes(self) -> None:
        self.service.manager.defer_writes(self.session)

    async def write_deferred(self) -> None:
        await self.service.manager.write_deferred(self.session)
