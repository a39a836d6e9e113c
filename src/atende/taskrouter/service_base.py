"""What every TaskRouter use case shares: the session, the routing manager, the repository, and
the translation of the routing core's refusals into Twilio errors naming the parameter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from atende.errors import TwilioError
from atende.routing.errors import InvalidTransitionError, RoutingError
from atende.routing.events import RoutingEvent
from atende.routing.expression import ExpressionError
from atende.runtime import Runtime
from atende.taskrouter import models
from atende.taskrouter.errors import conflict, invalid, not_found
from atende.taskrouter.event_records import SYSTEM, Actor
from atende.taskrouter.persistence import to_datetime
from atende.taskrouter.repository import TaskRouterRepository
from atende.taskrouter.routing_manager import Action, RoutingManager, WorkspaceRouting
from atende.taskrouter.web.representations import Names

MANAGER_KEY = "taskrouter"


def routing_manager(runtime: Runtime) -> RoutingManager:
    manager: RoutingManager = runtime.services[MANAGER_KEY]
    return manager


def twilio_error(error: Exception, parameter: str, transition_conflict: bool) -> TwilioError:
    """A routing refusal as the HTTP client should see it: a lifecycle step that is no longer
    possible (a second accept) is a conflict when asked; anything else names the parameter."""
    if isinstance(error, InvalidTransitionError) and transition_conflict:
        return conflict(str(error))
    return invalid(parameter, str(error))


class ServiceBase:
    def __init__(self, session: AsyncSession, runtime: Runtime, actor: Actor = SYSTEM) -> None:
        self.session = session
        self.runtime = runtime
        self.actor = actor
        self.manager = routing_manager(runtime)
        self.repo = TaskRouterRepository(session)

    def now(self) -> datetime:
        return to_datetime(self.manager.clock())

    async def routing(self, workspace_sid: str) -> WorkspaceRouting:
        """The workspace's routing state, locked until this transaction ends."""
        return await self.manager.workspace(self.session, workspace_sid)

    async def peek(self, workspace_sid: str) -> WorkspaceRouting:
        """The routing state for reading (names, statistics); locks only to load it."""
        return self.manager.loaded(workspace_sid) or await self.routing(workspace_sid)

    async def execute(
        self,
        workspace_sid: str,
        action: Action,
        *,
        parameter: str,
        attribute_texts: Mapping[str, str] | None = None,
        transition_conflict: bool = False,
        deferrable: bool = False,
    ) -> list[RoutingEvent]:
        try:
            return await self.manager.execute(
                self.session,
                workspace_sid,
                action,
                actor=self.actor,
                attribute_texts=attribute_texts,
                deferrable=deferrable,
            )
        except (RoutingError, ExpressionError) as error:
            raise twilio_error(error, parameter, transition_conflict) from None

    async def workspace_row(self, workspace_sid: str) -> models.Workspace:
        row = await self.repo.workspace(workspace_sid)
        if row is None:
            raise not_found(f"/Workspaces/{workspace_sid}")
        return row

    async def names(self, workspace_sid: str) -> Names:
        engine = (await self.peek(workspace_sid)).engine
        return Names(
            activity=lambda sid: _friendly(engine.activities, sid),
            task_queue=lambda sid: _friendly(engine.task_queues, sid),
            workflow=lambda sid: _friendly(engine.workflows, sid),
            task_channel=lambda sid: (
                None
                if sid is None or sid not in engine.task_channels
                else engine.task_channels[sid].unique_name
            ),
            worker=lambda sid: _friendly(engine.workers, sid),
        )


def _friendly(mapping: Mapping[str, object], sid: str | None) -> str | None:
    item = None if sid is None else mapping.get(sid)
    name = getattr(item, "friendly_name", None)
    return name if isinstance(name, str) else None
