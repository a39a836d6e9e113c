"""Use cases of tasks and reservations: the work itself, from creation to completion."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict

from sqlalchemy import delete
from typing_extensions import Unpack

from atende.routing.events import EventType, ResourceType, RoutingEvent
from atende.routing.model import WORKFLOW_PREFIX, TaskStatus
from atende.sids import new_sid
from atende.taskrouter import models
from atende.taskrouter.errors import invalid, missing, not_found
from atende.taskrouter.persistence import to_epoch
from atende.taskrouter.service_base import ServiceBase
from atende.taskrouter.task_creation import NewTask
from atende.taskrouter.worker_service import Attributes, attributes_pair, check_version

VOICE_INSTRUCTIONS = ("dequeue", "call", "redirect", "conference", "supervise")
"""Instructions the voice channel carries out; they are recorded on the reservation."""


class TaskOptions(TypedDict, total=False):
    """The keyword-only choices of a task creation (TaskRouter's optional parameters)."""

    virtual_start_time: datetime | None
    routing_target: str | None
    ignore_capacity: bool | None
    task_queue_sid: str | None


class TaskCommands(ServiceBase):
    # ------------------------------------------------------------------- tasks

    async def task(self, workspace_sid: str, sid: str) -> models.Task:
        row = await self.repo.task(workspace_sid, sid)
        if row is None:
            raise not_found(f"/Workspaces/{workspace_sid}/Tasks/{sid}")
        return row

    async def _default_workflow(self, workspace_sid: str) -> str:
        """TaskRouter lets a task omit the workflow when the workspace has only one."""
        sids = await self.repo.workflow_sids(workspace_sid)
        if len(sids) != 1:
            raise missing("WorkflowSid")
        return sids[0]

    async def create_task(
        self,
        workspace_sid: str,
        workflow_sid: str | None,
        attributes: Attributes | None = None,
        task_channel: str = "default",
        priority: int | None = None,
        timeout: int | None = None,
        **options: Unpack[TaskOptions],
    ) -> models.Task:
        """Create a task and route it at once, in the caller's transaction; returns its row
        (reserved already, if a worker was free)."""
        new = await self.new_task(
            workspace_sid, workflow_sid, attributes, task_channel, priority, timeout, **options
        )
        await self.route_new_task(new)
        return new.row((await self.routing(workspace_sid)).engine)

    async def route_new_task(self, new: NewTask, *, deferrable: bool = False) -> None:
        """Create `new` and route it at once, in the caller's transaction. `deferrable`: its
        rows may be written later in the transaction, with others' (for callers that need only
        its SID; see `RoutingManager.defer_writes`)."""
        await self.execute(
            new.workspace_sid,
            new.apply,
            parameter=new.parameter,
            attribute_texts={new.sid: new.attributes},
            deferrable=deferrable,
        )

    async def new_task(
        self,
        workspace_sid: str,
        workflow_sid: str | None,
        attributes: Attributes | None = None,
        task_channel: str = "default",
        priority: int | None = None,
        timeout: int | None = None,
        **options: Unpack[TaskOptions],
    ) -> NewTask:
        """What a creation needs before the workspace is locked. A workflow SID as
        ``routing_target`` stands for ``WorkflowSid``; a worker or queue SID routes the task
        straight there, inside its workflow."""
        routing_target = options.get("routing_target")
        virtual_start_time = options.get("virtual_start_time")
        if workflow_sid is None and routing_target and routing_target.startswith(WORKFLOW_PREFIX):
            workflow_sid = routing_target
        text, parsed = attributes_pair(attributes if attributes is not None else "{}")
        return NewTask(
            workspace_sid=workspace_sid,
            sid=new_sid("WT"),
            workflow_sid=workflow_sid or await self._default_workflow(workspace_sid),
            attributes=text,
            parsed=parsed,
            task_channel=task_channel,
            priority=priority,
            timeout=timeout,
            start=None if virtual_start_time is None else to_epoch(virtual_start_time),
            routing_target=routing_target,
            ignore_capacity=options.get("ignore_capacity"),
            task_queue_sid=options.get("task_queue_sid"),
        )

    async def update_task(
        self,
        workspace_sid: str,
        sid: str,
        *,
        attributes: Attributes | None = None,
        assignment_status: str | None = None,
        reason: str | None = None,
        priority: int | None = None,
        task_channel: str | None = None,
        virtual_start_time: datetime | None = None,
        if_match: str | None = None,
    ) -> models.Task:
        row = await self.task(workspace_sid, sid)
        check_version(if_match, row.version)
        state = await self.routing(workspace_sid)
        if sid not in state.engine.tasks:
            raise invalid("AssignmentStatus", f"task {sid} is {row.assignment_status}")
        if virtual_start_time is not None:
            raise invalid("VirtualStartTime", "can only be set when the task is created")
        texts: dict[str, str] = {}
        parsed = None
        if attributes is not None:
            texts[sid], parsed = attributes_pair(attributes)
        status = assignment_status
        await self.execute(
            workspace_sid,
            lambda engine: engine.update_task(
                sid,
                attributes=parsed,
                priority=priority,
                assignment_status=status,
                reason=reason,
                task_channel=task_channel,
            ),
            parameter=_update_parameter(status, task_channel),
            attribute_texts=texts,
        )
        return await self.task(workspace_sid, sid)

    async def cancel_task(
        self, workspace_sid: str, sid: str, reason: str | None = None
    ) -> models.Task:
        return await self.update_task(
            workspace_sid, sid, assignment_status=TaskStatus.CANCELED.value, reason=reason
        )

    async def complete_task(
        self, workspace_sid: str, sid: str, reason: str | None = None
    ) -> models.Task:
        return await self.update_task(
            workspace_sid, sid, assignment_status=TaskStatus.COMPLETED.value, reason=reason
        )

    async def delete_task(
        self, workspace_sid: str, sid: str, *, if_match: str | None = None
    ) -> None:
        row = await self.task(workspace_sid, sid)
        check_version(if_match, row.version)
        state = await self.routing(workspace_sid)
        if sid in state.engine.tasks:
            await self.execute(
                workspace_sid, lambda engine: engine.delete_task(sid), parameter="Sid"
            )
            return
        # A finished task the engine has already let go: only its rows and counters remain.
        await self.session.execute(
            delete(models.Reservation).where(models.Reservation.task_sid == sid)
        )
        await self.session.delete(row)
        state.realtime.forget_finished_task(row)
        event = RoutingEvent(
            EventType.TASK_DELETED,
            self.manager.clock(),
            ResourceType.TASK,
            sid,
            task_sid=sid,
            task_attributes=json.loads(row.attributes),
            task_priority=row.priority,
            task_assignment_status=row.assignment_status,
            task_created_at=to_epoch(row.date_created),
            task_reason=row.reason,
            task_channel_sid=row.task_channel_sid,
            queue_sid=row.task_queue_sid,
            workflow_sid=row.workflow_sid,
        )
        await self.execute(workspace_sid, lambda engine: [event], parameter="Sid")

    # ------------------------------------------------------------ reservations

    async def reservation(
        self,
        workspace_sid: str,
        sid: str,
        *,
        task_sid: str | None = None,
        worker_sid: str | None = None,
    ) -> models.Reservation:
        row = await self.repo.reservation(
            workspace_sid, sid, task_sid=task_sid, worker_sid=worker_sid
        )
        if row is None:
            parent = f"Tasks/{task_sid}" if task_sid else f"Workers/{worker_sid}"
            raise not_found(f"/Workspaces/{workspace_sid}/{parent}/Reservations/{sid}")
        return row

    async def accept_reservation(self, workspace_sid: str, sid: str) -> models.Reservation:
        return await self.update_reservation(workspace_sid, sid, status="accepted")

    async def reject_reservation(
        self, workspace_sid: str, sid: str, activity_sid: str | None = None
    ) -> models.Reservation:
        return await self.update_reservation(
            workspace_sid, sid, status="rejected", worker_activity_sid=activity_sid
        )

    async def complete_reservation(self, workspace_sid: str, sid: str) -> models.Reservation:
        return await self.update_reservation(workspace_sid, sid, status="completed")

    async def update_reservation(
        self,
        workspace_sid: str,
        sid: str,
        *,
        task_sid: str | None = None,
        worker_sid: str | None = None,
        status: str | None = None,
        worker_activity_sid: str | None = None,
        instruction: str | None = None,
        instruction_params: Mapping[str, str] | None = None,
        if_match: str | None = None,
    ) -> models.Reservation:
        """Accept, reject, wrap up or complete a reservation, and/or record a voice
        instruction (dequeue, call, redirect, conference) for the voice channel."""
        row = await self.reservation(workspace_sid, sid, task_sid=task_sid, worker_sid=worker_sid)
        check_version(if_match, row.version)
        state = await self.routing(workspace_sid)
        if worker_activity_sid is not None and worker_activity_sid not in state.engine.activities:
            raise invalid("WorkerActivitySid", f"no activity {worker_activity_sid}")
        if instruction is not None:
            self._record_instruction(row, instruction, instruction_params or {})
        if status is not None:
            await self._change_status(workspace_sid, row, status, worker_activity_sid)
        return await self.reservation(workspace_sid, sid)

    def _record_instruction(
        self, row: models.Reservation, instruction: str, params: Mapping[str, str]
    ) -> None:
        name = instruction.lower()
        if name not in VOICE_INSTRUCTIONS:
            raise invalid("Instruction", f"{instruction!r} is not one of {VOICE_INSTRUCTIONS}")
        if row.reservation_status not in ("pending", "accepted"):
            raise invalid("Instruction", f"reservation {row.sid} is {row.reservation_status}")
        row.instruction = name
        row.instruction_params = json.dumps(dict(params), sort_keys=True)

    async def _change_status(
        self,
        workspace_sid: str,
        row: models.Reservation,
        status: str,
        worker_activity_sid: str | None,
    ) -> None:
        sid = row.sid
        commands = {
            "accepted": lambda engine: engine.accept_reservation(sid),
            "rejected": lambda engine: engine.reject_reservation(
                sid, activity_sid=worker_activity_sid
            ),
            "wrapping": lambda engine: engine.wrap_reservation(sid),
            "completed": lambda engine: engine.complete_reservation(sid),
        }
        command = commands.get(status)
        if command is None:
            raise invalid("ReservationStatus", f"a reservation cannot be set to {status!r}")
        await self.execute(
            workspace_sid, command, parameter="ReservationStatus", transition_conflict=True
        )
        if status == "rejected":
            return
        if worker_activity_sid is not None:
            worker = row.worker_sid
            activity = worker_activity_sid
            await self.execute(
                workspace_sid,
                lambda engine: engine.set_worker_activity(worker, activity),
                parameter="WorkerActivitySid",
            )


def _update_parameter(assignment_status: str | None, task_channel: str | None) -> str:
    """The parameter a refused task update names."""
    if assignment_status is not None:
        return "AssignmentStatus"
    return "TaskChannel" if task_channel is not None else "Priority"
