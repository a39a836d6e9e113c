"""Events the routing core emits, named exactly as TaskRouter names them.

One :class:`RoutingEvent` feeds the push streams, the webhooks (TaskRouter's event callback), the
audit trail and the statistics, so it carries what TaskRouter's event payload carries (task age,
attributes, priority, status, reasons, worker activity and its previous activity...) as it was
when the event happened. Names of queues, workflows and activities are left to the consumer,
which can resolve them from the SIDs; the engine keeps this object cheap because it builds
several per assignment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    ACTIVITY_CREATED = "activity.created"
    ACTIVITY_UPDATED = "activity.updated"
    ACTIVITY_DELETED = "activity.deleted"
    RESERVATION_CREATED = "reservation.created"
    RESERVATION_ACCEPTED = "reservation.accepted"
    RESERVATION_REJECTED = "reservation.rejected"
    RESERVATION_TIMEOUT = "reservation.timeout"
    RESERVATION_CANCELED = "reservation.canceled"
    RESERVATION_RESCINDED = "reservation.rescinded"
    RESERVATION_WRAPUP = "reservation.wrapup"
    RESERVATION_COMPLETED = "reservation.completed"
    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_CANCELED = "task.canceled"
    TASK_WRAPUP = "task.wrapup"
    TASK_COMPLETED = "task.completed"
    TASK_DELETED = "task.deleted"
    TASK_CHANNEL_CREATED = "task-channel.created"
    TASK_CHANNEL_UPDATED = "task-channel.updated"
    TASK_CHANNEL_DELETED = "task-channel.deleted"
    TASK_QUEUE_CREATED = "task-queue.created"
    TASK_QUEUE_DELETED = "task-queue.deleted"
    TASK_QUEUE_ENTERED = "task-queue.entered"
    TASK_QUEUE_TIMEOUT = "task-queue.timeout"
    TASK_QUEUE_MOVED = "task-queue.moved"
    TASK_QUEUE_EXPRESSION_UPDATED = "task-queue.expression.updated"
    WORKER_CREATED = "worker.created"
    WORKER_ACTIVITY_UPDATE = "worker.activity.update"
    WORKER_ATTRIBUTES_UPDATE = "worker.attributes.update"
    WORKER_CAPACITY_UPDATE = "worker.capacity.update"
    WORKER_CHANNEL_AVAILABILITY_UPDATE = "worker.channel.availability.update"
    WORKER_DELETED = "worker.deleted"
    WORKFLOW_CREATED = "workflow.created"
    WORKFLOW_UPDATED = "workflow.updated"
    WORKFLOW_DELETED = "workflow.deleted"
    WORKFLOW_TARGET_MATCHED = "workflow.target-matched"
    WORKFLOW_ENTERED = "workflow.entered"
    WORKFLOW_TIMEOUT = "workflow.timeout"
    WORKFLOW_SKIPPED = "workflow.skipped"
    WORKSPACE_UPDATED = "workspace.updated"


class ResourceType(StrEnum):
    ACTIVITY = "activity"
    RESERVATION = "reservation"
    TASK = "task"
    TASK_CHANNEL = "task_channel"
    TASK_QUEUE = "task_queue"
    WORKER = "worker"
    WORKFLOW = "workflow"
    WORKSPACE = "workspace"


_DESCRIPTIONS: dict[str, str] = {
    EventType.ACTIVITY_CREATED: "Activity {sid} created",
    EventType.ACTIVITY_UPDATED: "Activity {sid} updated",
    EventType.ACTIVITY_DELETED: "Activity {sid} deleted",
    EventType.RESERVATION_CREATED: "Reservation {sid} created for Worker {worker}",
    EventType.RESERVATION_ACCEPTED: "Reservation {sid} accepted by Worker {worker}",
    EventType.RESERVATION_REJECTED: "Reservation {sid} rejected by Worker {worker}",
    EventType.RESERVATION_TIMEOUT: "Reservation {sid} timed out for Worker {worker}",
    EventType.RESERVATION_CANCELED: "Reservation {sid} canceled for Worker {worker}",
    EventType.RESERVATION_RESCINDED: "Reservation {sid} rescinded for Worker {worker}",
    EventType.RESERVATION_WRAPUP: "Reservation {sid} wrapping up for Worker {worker}",
    EventType.RESERVATION_COMPLETED: "Reservation {sid} completed by Worker {worker}",
    EventType.TASK_CREATED: "Task {sid} created",
    EventType.TASK_UPDATED: "Task {sid} updated",
    EventType.TASK_CANCELED: "Task {sid} canceled",
    EventType.TASK_WRAPUP: "Task {sid} wrapping up",
    EventType.TASK_COMPLETED: "Task {sid} completed",
    EventType.TASK_DELETED: "Task {sid} deleted",
    EventType.TASK_CHANNEL_CREATED: "TaskChannel {sid} created",
    EventType.TASK_CHANNEL_UPDATED: "TaskChannel {sid} updated",
    EventType.TASK_CHANNEL_DELETED: "TaskChannel {sid} deleted",
    EventType.TASK_QUEUE_CREATED: "TaskQueue {sid} created",
    EventType.TASK_QUEUE_DELETED: "TaskQueue {sid} deleted",
    EventType.TASK_QUEUE_ENTERED: "Task {sid} entered TaskQueue {queue}",
    EventType.TASK_QUEUE_TIMEOUT: "Task {sid} timed out of TaskQueue {queue}",
    EventType.TASK_QUEUE_MOVED: "Task {sid} moved out of TaskQueue {queue}",
    EventType.TASK_QUEUE_EXPRESSION_UPDATED: "TaskQueue {sid} target workers updated",
    EventType.WORKER_CREATED: "Worker {sid} created",
    EventType.WORKER_ACTIVITY_UPDATE: "Worker {sid} activity updated",
    EventType.WORKER_ATTRIBUTES_UPDATE: "Worker {sid} attributes updated",
    EventType.WORKER_CAPACITY_UPDATE: "Worker {sid} channel capacity updated",
    EventType.WORKER_CHANNEL_AVAILABILITY_UPDATE: "Worker {sid} channel availability updated",
    EventType.WORKER_DELETED: "Worker {sid} deleted",
    EventType.WORKFLOW_CREATED: "Workflow {sid} created",
    EventType.WORKFLOW_UPDATED: "Workflow {sid} updated",
    EventType.WORKFLOW_DELETED: "Workflow {sid} deleted",
    EventType.WORKFLOW_TARGET_MATCHED: "Task {sid} matched a routing step of Workflow {workflow}",
    EventType.WORKFLOW_ENTERED: "Task {sid} entered Workflow {workflow}",
    EventType.WORKFLOW_TIMEOUT: "Task {sid} timed out of Workflow {workflow}",
    EventType.WORKFLOW_SKIPPED: "Task {sid} skipped out of Workflow {workflow}",
    EventType.WORKSPACE_UPDATED: "Workspace settings updated",
}


@dataclass(slots=True)
class RoutingEvent:
    """One thing that happened, as of ``occurred_at``; treat it as read-only.

    ``task_*`` fields describe the task concerned (if any) at that moment; ``worker_*`` the
    worker. ``data`` holds what only some events carry: the matched filter and target of
    ``workflow.target-matched``, the channel figures of ``worker.capacity.update``...
    """

    event_type: str
    occurred_at: float
    resource_type: str
    resource_sid: str
    task_sid: str | None = None
    task_attributes: Mapping[str, Any] | None = None
    task_priority: int | None = None
    task_assignment_status: str | None = None
    task_created_at: float | None = None
    task_reason: str | None = None
    task_channel_sid: str | None = None
    queue_sid: str | None = None
    workflow_sid: str | None = None
    worker_sid: str | None = None
    worker_attributes: Mapping[str, Any] | None = None
    worker_activity_sid: str | None = None
    worker_previous_activity_sid: str | None = None
    worker_time_in_previous_activity: float | None = None
    reservation_sid: str | None = None
    reservation_status: str | None = None
    data: Mapping[str, Any] | None = None

    @property
    def task_age(self) -> int | None:
        """TaskRouter's ``TaskAge``: whole seconds since the task was created."""
        if self.task_created_at is None:
            return None
        return int(self.occurred_at - self.task_created_at)

    @property
    def description(self) -> str:
        template = _DESCRIPTIONS.get(self.event_type, "{type} {sid}")
        return template.format(
            type=self.event_type,
            sid=self.resource_sid,
            worker=self.worker_sid,
            queue=self.queue_sid,
            workflow=self.workflow_sid,
        )
