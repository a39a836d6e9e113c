"""Creating a task: what a creation needs, checked against the engine under the workspace lock,
and the API's group commit.

A command holds its workspace's lock until its transaction has committed, so on PostgreSQL every
create waited for some ten round trips of the one before (lock, version, inserts, commit) and the
API saturated below 100 tasks/s. `TaskCreations` lets the creates that arrive while one
transaction is in flight share the next one: one lock, one version bump, multi-row inserts and
one commit for all of them. A create that arrives alone is written at once, as before."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from atende.errors import TwilioError
from atende.routing.engine import RoutingEngine
from atende.routing.errors import RoutingError
from atende.routing.events import RoutingEvent
from atende.routing.expression import ExpressionError
from atende.runtime import Runtime
from atende.taskrouter import models
from atende.taskrouter.errors import invalid
from atende.taskrouter.event_records import Actor
from atende.taskrouter.persistence import new_task_row
from atende.taskrouter.routing_manager import RoutingManager


@dataclass(frozen=True)
class NewTask:
    """A task creation as asked, its attributes parsed and its SID chosen."""

    workspace_sid: str
    sid: str
    workflow_sid: str
    attributes: str
    parsed: dict[str, Any]
    task_channel: str
    priority: int | None
    timeout: int | None
    start: float | None
    routing_target: str | None
    ignore_capacity: bool | None
    task_queue_sid: str | None

    @property
    def parameter(self) -> str:
        """The parameter a refusal names: the routing core checks these together."""
        if self.routing_target is not None:
            return "RoutingTarget"
        if self.ignore_capacity is not None:
            return "IgnoreCapacity"
        if self.task_queue_sid is not None:
            return "TaskQueueSid"
        return "Priority" if self.priority is not None else "Timeout"

    def apply(self, engine: RoutingEngine) -> list[RoutingEvent]:
        """Checked here, under the lock, against the workspace as it is now; a refusal (a
        TwilioError, or the engine's RoutingError) changes nothing."""
        if self.workflow_sid not in engine.workflows:
            raise invalid("WorkflowSid", f"no workflow {self.workflow_sid} in this workspace")
        channel = self.task_channel
        if channel not in engine.task_channels and not any(
            known.unique_name == channel for known in engine.task_channels.values()
        ):
            raise invalid("TaskChannel", f"no task channel {channel!r} in this workspace")
        return engine.create_task(
            sid=self.sid,
            workflow_sid=self.workflow_sid,
            attributes=self.parsed,
            priority=self.priority,
            task_channel=channel,
            timeout=self.timeout,
            virtual_start_time=self.start,
            routing_target=self.routing_target,
            ignore_capacity=self.ignore_capacity,
            task_queue_sid=self.task_queue_sid,
        )

    def row(self, engine: RoutingEngine) -> models.Task:
        """The row just written (reserved already, if a worker was free), from the engine."""
        return new_task_row(self.workspace_sid, engine.tasks[self.sid], self.attributes)


def as_twilio_error(error: Exception, parameter: str) -> TwilioError:
    if isinstance(error, TwilioError):
        return error
    return invalid(parameter, str(error))


REFUSALS = (TwilioError, RoutingError, ExpressionError)


@dataclass
class _Waiting:
    new: NewTask
    done: asyncio.Future[models.Task]


CREATIONS_KEY = "taskrouter.creations"


def task_creations(runtime: Runtime) -> TaskCreations:
    creations: TaskCreations = runtime.services[CREATIONS_KEY]
    return creations


class TaskCreations:
    """Group commit of the API's creates, per workspace and caller (the events name who)."""

    def __init__(self, runtime: Runtime, manager: RoutingManager) -> None:
        self.runtime = runtime
        self.manager = manager
        self._waiting: dict[tuple[str, str | None], list[_Waiting]] = {}
        self._writers: dict[tuple[str, str | None], asyncio.Task[None]] = {}

    async def create(self, new: NewTask, actor: Actor) -> models.Task:
        key = (new.workspace_sid, actor.sid)
        waiting = _Waiting(new, asyncio.get_running_loop().create_future())
        self._waiting.setdefault(key, []).append(waiting)
        if key not in self._writers:
            self._writers[key] = asyncio.create_task(self._write_all(key, actor))
        # Shielded: a caller that goes away must not cancel the others' shared transaction.
        return await asyncio.shield(waiting.done)

    async def _write_all(self, key: tuple[str, str | None], actor: Actor) -> None:
        try:
            while batch := self._waiting.pop(key, None):
                await self._write(key[0], batch, actor)
        finally:
            del self._writers[key]

    async def _write(self, workspace_sid: str, batch: list[_Waiting], actor: Actor) -> None:
        try:
            async with self.runtime.sessions() as session:
                outcomes = await self.manager.execute_each(
                    session,
                    workspace_sid,
                    [waiting.new.apply for waiting in batch],
                    refusals=REFUSALS,
                    actor=actor,
                    attribute_texts={waiting.new.sid: waiting.new.attributes for waiting in batch},
                )
                state = await self.manager.workspace(session, workspace_sid)
                rows = [
                    None if isinstance(outcome, Exception) else waiting.new.row(state.engine)
                    for waiting, outcome in zip(batch, outcomes, strict=True)
                ]
                await session.commit()
        except Exception as error:
            for waiting in batch:
                waiting.done.set_exception(error)
            return
        except BaseException:
            # Cancelled (shutdown): the callers must not wait for an answer that never comes.
            for waiting in batch:
                waiting.done.cancel()
            raise
        for waiting, outcome, row in zip(batch, outcomes, rows, strict=True):
            if row is None:
                assert isinstance(outcome, Exception)
                waiting.done.set_exception(as_twilio_error(outcome, waiting.new.parameter))
            else:
                waiting.done.set_result(row)
