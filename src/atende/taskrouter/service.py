"""The TaskRouter service: every use case of the domain behind one object.

Other packages (voice, messaging, the desk) use it exactly as the HTTP API does::

    service = TaskRouterService(session, runtime)
    task = await service.create_task(workspace_sid, workflow_sid, {"type": "call"}, "voice")
    await service.accept_reservation(workspace_sid, reservation_sid)

It never commits: the caller's request or job boundary does, once. Errors are
`atende.errors.TwilioError` naming the parameter at fault."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atende.runtime import Runtime
from atende.taskrouter.configuration_service import ConfigurationCommands
from atende.taskrouter.event_records import SYSTEM, Actor
from atende.taskrouter.statistics.reports import StatisticsReports
from atende.taskrouter.task_service import TaskCommands
from atende.taskrouter.worker_service import WorkerCommands


class TaskRouterService(ConfigurationCommands, WorkerCommands, TaskCommands):
    def __init__(self, session: AsyncSession, runtime: Runtime, actor: Actor = SYSTEM) -> None:
        super().__init__(session, runtime, actor)

    async def statistics(self, workspace_sid: str) -> StatisticsReports:
        state = await self.peek(workspace_sid)
        return StatisticsReports(
            self.session, workspace_sid, state.engine, state.realtime, self.now()
        )
