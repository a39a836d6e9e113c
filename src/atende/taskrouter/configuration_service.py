"""Use cases of a workspace's configuration: the workspace itself, activities, task channels,
task queues and workflows.

Each change is checked by the routing engine first (it refuses before changing anything), then
written to its row in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert

from atende.routing.engine import RoutingEngine
from atende.routing.expression import ExpressionError, compile_expression
from atende.routing.model import Activity, TaskChannel, TaskQueue, Workflow
from atende.routing.workflow import WorkflowConfigurationError, parse_workflow_configuration
from atende.sids import new_sid
from atende.taskrouter import models
from atende.taskrouter.errors import invalid, not_found
from atende.taskrouter.persistence import settings_of, to_datetime
from atende.taskrouter.service_base import ServiceBase

DEFAULT_ACTIVITIES = (("Offline", False), ("Available", True), ("Unavailable", False))
DEFAULT_TASK_CHANNELS = (
    ("default", "Default"),
    ("voice", "Voice"),
    ("chat", "Chat"),
    ("sms", "SMS"),
    ("video", "Video"),
    ("email", "Email"),
)
FIFO_TEMPLATE = "FIFO"


@dataclass(frozen=True, slots=True)
class WorkspaceChanges:
    """Fields of a workspace update; `None` leaves a field as it is."""

    friendly_name: str | None = None
    event_callback_url: str | None = None
    events_filter: str | None = None
    default_activity_sid: str | None = None
    timeout_activity_sid: str | None = None
    multi_task_enabled: bool | None = None
    prioritize_queue_order: str | None = None


def _queue_of(row: models.TaskQueue) -> TaskQueue:
    return TaskQueue(
        sid=row.sid,
        friendly_name=row.friendly_name,
        target_workers=row.target_workers or "1==1",
        task_order=row.task_order,  # type: ignore[arg-type]
        max_reserved_workers=row.max_reserved_workers,
        reservation_activity_sid=row.reservation_activity_sid,
        assignment_activity_sid=row.assignment_activity_sid,
    )


class ConfigurationCommands(ServiceBase):
    # -------------------------------------------------------------- workspaces

    async def create_workspace(
        self,
        account_sid: str,
        friendly_name: str,
        *,
        event_callback_url: str | None = None,
        events_filter: str | None = None,
        multi_task_enabled: bool | None = None,
        template: str | None = None,
        prioritize_queue_order: str | None = None,
    ) -> models.Workspace:
        """A workspace with TaskRouter's default activities and task channels; the `FIFO`
        template adds a queue for every worker and a workflow sending every task to it."""
        if template is not None and template.upper() not in (FIFO_TEMPLATE, "NONE"):
            raise invalid("Template", f"{template!r} is not a known template (FIFO or NONE)")
        now = self.now()
        sid = new_sid("WS")
        activities = [
            models.Activity(
                sid=new_sid("WA"),
                workspace_sid=sid,
                friendly_name=name,
                available=available,
                date_created=now,
                date_updated=now,
            )
            for name, available in DEFAULT_ACTIVITIES
        ]
        workspace = models.Workspace(
            sid=sid,
            account_sid=account_sid,
            friendly_name=friendly_name,
            event_callback_url=event_callback_url,
            events_filter=events_filter,
            default_activity_sid=activities[0].sid,
            timeout_activity_sid=activities[0].sid,
            multi_task_enabled=True if multi_task_enabled is None else multi_task_enabled,
            prioritize_queue_order=prioritize_queue_order or "FIFO",
            date_created=now,
            date_updated=now,
        )
        self.session.add(workspace)
        self.session.add_all(activities)
        self.session.add_all(
            models.TaskChannel(
                sid=new_sid("TC"),
                workspace_sid=sid,
                unique_name=unique_name,
                friendly_name=name,
                channel_optimized_routing=False,
                date_created=now,
                date_updated=now,
            )
            for unique_name, name in DEFAULT_TASK_CHANNELS
        )
        if template is not None and template.upper() == FIFO_TEMPLATE:
            self._add_fifo_template(sid, now)
        await self.session.flush()
        await self.routing(sid)
        return workspace

    def _add_fifo_template(self, workspace_sid: str, now: Any) -> None:
        queue = models.TaskQueue(
            sid=new_sid("WQ"),
            workspace_sid=workspace_sid,
            friendly_name="Sample Queue",
            target_workers="1==1",
            date_created=now,
            date_updated=now,
        )
        configuration = {"task_routing": {"filters": [], "default_filter": {"queue": queue.sid}}}
        self.session.add(queue)
        self.session.add(
            models.Workflow(
                sid=new_sid("WW"),
                workspace_sid=workspace_sid,
                friendly_name="Default Fifo Workflow",
                configuration=json.dumps(configuration),
                date_created=now,
                date_updated=now,
            )
        )

    async def update_workspace(
        self, workspace_sid: str, changes: WorkspaceChanges
    ) -> models.Workspace:
        state = await self.routing(workspace_sid)
        row = await self.workspace_row(workspace_sid)
        for parameter, activity_sid in (
            ("DefaultActivitySid", changes.default_activity_sid),
            ("TimeoutActivitySid", changes.timeout_activity_sid),
        ):
            if activity_sid is not None and activity_sid not in state.engine.activities:
                raise invalid(parameter, f"no activity {activity_sid} in this workspace")
        for field in WorkspaceChanges.__dataclass_fields__:
            value = getattr(changes, field)
            if value is not None:
                setattr(row, field, value)
        row.date_updated = self.now()
        settings = settings_of(row)
        await self.execute(
            workspace_sid,
            lambda engine: engine.configure_workspace(settings),
            parameter="MultiTaskEnabled",
        )
        state.describe(row)
        return row

    async def delete_workspace(self, workspace_sid: str) -> None:
        await self.routing(workspace_sid)
        for model in (
            models.Reservation,
            models.Task,
            models.WorkerChannel,
            models.Worker,
            models.Workflow,
            models.TaskQueue,
            models.TaskChannel,
            models.Activity,
            models.StatisticsBucket,
        ):
            await self.session.execute(delete(model).where(model.workspace_sid == workspace_sid))
        await self.session.execute(
            delete(models.Workspace).where(models.Workspace.sid == workspace_sid)
        )
        self.manager.forget(self.session, workspace_sid)

    # -------------------------------------------------------------- activities

    async def _activity_row(self, workspace_sid: str, sid: str) -> models.Activity:
        row = await self.repo.activity(workspace_sid, sid)
        if row is None:
            raise not_found(f"/Workspaces/{workspace_sid}/Activities/{sid}")
        return row

    async def _check_activity_name(self, workspace_sid: str, name: str) -> None:
        state = await self.routing(workspace_sid)
        if any(a.friendly_name == name for a in state.engine.activities.values()):
            raise invalid("FriendlyName", f"an activity named {name!r} already exists")

    async def create_activity(
        self, workspace_sid: str, friendly_name: str, available: bool = False
    ) -> models.Activity:
        await self._check_activity_name(workspace_sid, friendly_name)
        now = self.now()
        row = models.Activity(
            sid=new_sid("WA"),
            workspace_sid=workspace_sid,
            friendly_name=friendly_name,
            available=available,
            date_created=now,
            date_updated=now,
        )
        activity = Activity(sid=row.sid, friendly_name=friendly_name, available=available)
        await self.execute(
            workspace_sid, lambda engine: engine.upsert_activity(activity), parameter="Available"
        )
        self.session.add(row)
        return row

    async def update_activity(
        self, workspace_sid: str, sid: str, friendly_name: str | None
    ) -> models.Activity:
        row = await self._activity_row(workspace_sid, sid)
        if friendly_name is not None and friendly_name != row.friendly_name:
            await self._check_activity_name(workspace_sid, friendly_name)
            row.friendly_name = friendly_name
            row.date_updated = self.now()
            activity = Activity(sid=sid, friendly_name=friendly_name, available=row.available)
            await self.execute(
                workspace_sid, lambda engine: engine.upsert_activity(activity), parameter="Sid"
            )
        return row

    async def delete_activity(self, workspace_sid: str, sid: str) -> None:
        row = await self._activity_row(workspace_sid, sid)
        await self.execute(
            workspace_sid, lambda engine: engine.remove_activity(sid), parameter="Sid"
        )
        await self.session.delete(row)

    # ----------------------------------------------------------- task channels

    async def _task_channel_row(self, workspace_sid: str, sid: str) -> models.TaskChannel:
        row = await self.repo.task_channel(workspace_sid, sid)
        if row is None:
            raise not_found(f"/Workspaces/{workspace_sid}/TaskChannels/{sid}")
        return row

    async def create_task_channel(
        self,
        workspace_sid: str,
        friendly_name: str,
        unique_name: str,
        channel_optimized_routing: bool | None = None,
    ) -> models.TaskChannel:
        state = await self.routing(workspace_sid)
        if any(c.unique_name == unique_name for c in state.engine.task_channels.values()):
            raise invalid("UniqueName", f"a task channel named {unique_name!r} already exists")
        now = self.now()
        row = models.TaskChannel(
            sid=new_sid("TC"),
            workspace_sid=workspace_sid,
            unique_name=unique_name,
            friendly_name=friendly_name,
            channel_optimized_routing=channel_optimized_routing,
            date_created=now,
            date_updated=now,
        )
        channel = TaskChannel(
            sid=row.sid,
            unique_name=unique_name,
            friendly_name=friendly_name,
            channel_optimized_routing=bool(channel_optimized_routing),
        )
        await self.execute(
            workspace_sid,
            lambda engine: engine.upsert_task_channel(channel),
            parameter="UniqueName",
        )
        self.session.add(row)
        await self._add_worker_channels(workspace_sid, state.engine, row.sid)
        return row

    async def _add_worker_channels(
        self, workspace_sid: str, engine: RoutingEngine, channel_sid: str
    ) -> None:
        """The engine gave every worker a capacity on the new channel; store those rows."""
        rows = [
            {
                "sid": new_sid("WC"),
                "workspace_sid": workspace_sid,
                "worker_sid": worker.sid,
                "task_channel_sid": channel_sid,
                "configured_capacity": worker.channels[channel_sid].configured_capacity,
                "available": worker.channels[channel_sid].available,
                "idle_since": to_datetime(worker.channels[channel_sid].idle_since),
            }
            for worker in engine.workers.values()
        ]
        if rows:
            await self.session.execute(insert(models.WorkerChannel), rows)

    async def update_task_channel(
        self,
        workspace_sid: str,
        sid: str,
        friendly_name: str | None = None,
        channel_optimized_routing: bool | None = None,
    ) -> models.TaskChannel:
        row = await self._task_channel_row(workspace_sid, sid)
        if friendly_name is not None:
            row.friendly_name = friendly_name
        if channel_optimized_routing is not None:
            row.channel_optimized_routing = channel_optimized_routing
        row.date_updated = self.now()
        channel = TaskChannel(
            sid=row.sid,
            unique_name=row.unique_name,
            friendly_name=row.friendly_name,
            channel_optimized_routing=bool(row.channel_optimized_routing),
        )
        await self.execute(
            workspace_sid, lambda engine: engine.upsert_task_channel(channel), parameter="Sid"
        )
        return row

    async def delete_task_channel(self, workspace_sid: str, sid: str) -> None:
        row = await self._task_channel_row(workspace_sid, sid)
        await self.execute(
            workspace_sid, lambda engine: engine.remove_task_channel(row.sid), parameter="Sid"
        )
        await self.session.execute(
            delete(models.WorkerChannel).where(models.WorkerChannel.task_channel_sid == row.sid)
        )
        await self.session.delete(row)

    # ------------------------------------------------------------- task queues

    async def _task_queue_row(self, workspace_sid: str, sid: str) -> models.TaskQueue:
        row = await self.repo.task_queue(workspace_sid, sid)
        if row is None:
            raise not_found(f"/Workspaces/{workspace_sid}/TaskQueues/{sid}")
        return row

    async def _check_queue(
        self, workspace_sid: str, row: models.TaskQueue, name_changed: bool
    ) -> None:
        state = await self.routing(workspace_sid)
        if name_changed and any(
            q.friendly_name == row.friendly_name for q in state.engine.task_queues.values()
        ):
            raise invalid("FriendlyName", f"a task queue named {row.friendly_name!r} exists")
        if row.target_workers is not None:
            try:
                compile_expression(row.target_workers)
            except ExpressionError as error:
                raise invalid("TargetWorkers", str(error)) from None
        for parameter, activity_sid in (
            ("ReservationActivitySid", row.reservation_activity_sid),
            ("AssignmentActivitySid", row.assignment_activity_sid),
        ):
            if activity_sid is not None and activity_sid not in state.engine.activities:
                raise invalid(parameter, f"no activity {activity_sid} in this workspace")
        if not 1 <= row.max_reserved_workers <= 50:
            raise invalid("MaxReservedWorkers", "must be between 1 and 50")

    async def create_task_queue(
        self,
        workspace_sid: str,
        friendly_name: str,
        *,
        target_workers: str | None = None,
        max_reserved_workers: int | None = None,
        task_order: str | None = None,
        reservation_activity_sid: str | None = None,
        assignment_activity_sid: str | None = None,
    ) -> models.TaskQueue:
        now = self.now()
        row = models.TaskQueue(
            sid=new_sid("WQ"),
            workspace_sid=workspace_sid,
            friendly_name=friendly_name,
            target_workers=target_workers,
            max_reserved_workers=1 if max_reserved_workers is None else max_reserved_workers,
            task_order=task_order or "FIFO",
            reservation_activity_sid=reservation_activity_sid,
            assignment_activity_sid=assignment_activity_sid,
            date_created=now,
            date_updated=now,
        )
        await self._check_queue(workspace_sid, row, name_changed=True)
        queue = _queue_of(row)
        await self.execute(
            workspace_sid, lambda engine: engine.upsert_task_queue(queue), parameter="TargetWorkers"
        )
        self.session.add(row)
        return row

    async def update_task_queue(
        self,
        workspace_sid: str,
        sid: str,
        *,
        friendly_name: str | None = None,
        target_workers: str | None = None,
        max_reserved_workers: int | None = None,
        task_order: str | None = None,
        reservation_activity_sid: str | None = None,
        assignment_activity_sid: str | None = None,
    ) -> models.TaskQueue:
        row = await self._task_queue_row(workspace_sid, sid)
        name_changed = friendly_name is not None and friendly_name != row.friendly_name
        for field, value in (
            ("friendly_name", friendly_name),
            ("target_workers", target_workers),
            ("max_reserved_workers", max_reserved_workers),
            ("task_order", task_order),
            ("reservation_activity_sid", reservation_activity_sid),
            ("assignment_activity_sid", assignment_activity_sid),
        ):
            if value is not None:
                setattr(row, field, value)
        await self._check_queue(workspace_sid, row, name_changed=name_changed)
        row.date_updated = self.now()
        queue = _queue_of(row)
        await self.execute(
            workspace_sid, lambda engine: engine.upsert_task_queue(queue), parameter="TargetWorkers"
        )
        return row

    async def delete_task_queue(self, workspace_sid: str, sid: str) -> None:
        row = await self._task_queue_row(workspace_sid, sid)
        await self.execute(
            workspace_sid, lambda engine: engine.remove_task_queue(sid), parameter="Sid"
        )
        await self.session.delete(row)

    # --------------------------------------------------------------- workflows

    async def _workflow_row(self, workspace_sid: str, sid: str) -> models.Workflow:
        row = await self.repo.workflow(workspace_sid, sid)
        if row is None:
            raise not_found(f"/Workspaces/{workspace_sid}/Workflows/{sid}")
        return row

    async def _workflow_of(self, workspace_sid: str, row: models.Workflow) -> Workflow:
        state = await self.routing(workspace_sid)
        try:
            configuration = parse_workflow_configuration(
                row.configuration, known_queue_sids=state.engine.task_queues.keys()
            )
        except WorkflowConfigurationError as error:
            raise invalid("Configuration", str(error)) from None
        if not 1 <= row.task_reservation_timeout <= 86_400:
            raise invalid("TaskReservationTimeout", "must be between 1 and 86400 seconds")
        return Workflow(
            sid=row.sid,
            friendly_name=row.friendly_name,
            configuration=configuration,
            task_reservation_timeout=row.task_reservation_timeout,
        )

    async def create_workflow(
        self,
        workspace_sid: str,
        friendly_name: str,
        configuration: str,
        *,
        assignment_callback_url: str | None = None,
        fallback_assignment_callback_url: str | None = None,
        task_reservation_timeout: int | None = None,
    ) -> models.Workflow:
        now = self.now()
        row = models.Workflow(
            sid=new_sid("WW"),
            workspace_sid=workspace_sid,
            friendly_name=friendly_name,
            configuration=configuration,
            assignment_callback_url=assignment_callback_url,
            fallback_assignment_callback_url=fallback_assignment_callback_url,
            task_reservation_timeout=task_reservation_timeout or 120,
            date_created=now,
            date_updated=now,
        )
        workflow = await self._workflow_of(workspace_sid, row)
        await self.execute(
            workspace_sid,
            lambda engine: engine.upsert_workflow(workflow),
            parameter="Configuration",
        )
        self.session.add(row)
        self._remember_callback(workspace_sid, row)
        return row

    def _remember_callback(self, workspace_sid: str, row: models.Workflow) -> None:
        state = self.manager.loaded(workspace_sid)
        if state is None:
            return
        if row.assignment_callback_url:
            state.assignment_callbacks[row.sid] = row.assignment_callback_url
        else:
            state.assignment_callbacks.pop(row.sid, None)

    async def update_workflow(
        self,
        workspace_sid: str,
        sid: str,
        *,
        friendly_name: str | None = None,
        configuration: str | None = None,
        assignment_callback_url: str | None = None,
        fallback_assignment_callback_url: str | None = None,
        task_reservation_timeout: int | None = None,
        re_evaluate_tasks: bool = False,
    ) -> models.Workflow:
        row = await self._workflow_row(workspace_sid, sid)
        for field, value in (
            ("friendly_name", friendly_name),
            ("configuration", configuration),
            ("assignment_callback_url", assignment_callback_url),
            ("fallback_assignment_callback_url", fallback_assignment_callback_url),
            ("task_reservation_timeout", task_reservation_timeout),
        ):
            if value is not None:
                setattr(row, field, value or None if field.endswith("_url") else value)
        row.date_updated = self.now()
        workflow = await self._workflow_of(workspace_sid, row)
        await self.execute(
            workspace_sid,
            lambda engine: engine.upsert_workflow(workflow, re_evaluate_tasks=re_evaluate_tasks),
            parameter="Configuration",
        )
        self._remember_callback(workspace_sid, row)
        return row

    async def delete_workflow(self, workspace_sid: str, sid: str) -> None:
        row = await self._workflow_row(workspace_sid, sid)
        await self.execute(
            workspace_sid, lambda engine: engine.remove_workflow(sid), parameter="Sid"
        )
        await self.session.delete(row)
        state = self.manager.loaded(workspace_sid)
        if state is not None:
            state.assignment_callbacks.pop(sid, None)

    async def queues_for_worker_attributes(
        self, workspace_sid: str, attributes: Mapping[str, Any]
    ) -> set[str]:
        """Queues whose `target_workers` admits a worker with these attributes."""
        engine = (await self.peek(workspace_sid)).engine
        scopes = {"worker": attributes}
        return {
            sid
            for sid, queue in engine.task_queues.items()
            if compile_expression(queue.target_workers).matches(attributes, scopes)
        }
