"""The routing core's entities, as plain mutable records owned by :class:`RoutingEngine`.

They mirror TaskRouter's resources (field names follow the v1 API) plus the routing state the
engine needs to resume after a restart: where a task stands in its workflow, when its current
routing step times out, and since when a worker has been idle. Times are epoch seconds (float).

Only the engine mutates these objects. Attribute mappings are replaced, never mutated in place,
so events may share them safely with whoever reads the events later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from atende.routing.workflow import WorkflowConfiguration

DEFAULT_TASK_TTL: Final = 86_400
"""TaskRouter's default Task ``timeout`` (the time a task may live before being assigned)."""

MAX_TASK_TTL: Final = 1_209_600
MAX_PRIORITY: Final = 2**31 - 1

DEFAULT_RESERVATION_TIMEOUT: Final = 120
MAX_RESERVATION_TIMEOUT: Final = 86_400
MAX_RESERVED_WORKERS: Final = 50

WORKER_PREFIX: Final = "WK"
QUEUE_PREFIX: Final = "WQ"
WORKFLOW_PREFIX: Final = "WW"
"""SID prefixes that tell what a task's ``routing_target`` names."""

DEFAULT_FILTER_INDEX: Final = -1
"""``Task.filter_index`` of a task routed by the workflow's ``default_filter``."""


class TaskStatus(StrEnum):
    PENDING = "pending"
    RESERVED = "reserved"
    ASSIGNED = "assigned"
    WRAPPING = "wrapping"
    COMPLETED = "completed"
    CANCELED = "canceled"


class ReservationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TIMEOUT = "timeout"
    CANCELED = "canceled"
    RESCINDED = "rescinded"
    WRAPPING = "wrapping"
    COMPLETED = "completed"


class QueueOrder(StrEnum):
    FIFO = "FIFO"
    LIFO = "LIFO"


TERMINAL_TASK_STATUSES: Final = frozenset({TaskStatus.COMPLETED, TaskStatus.CANCELED})
WAITING_TASK_STATUSES: Final = frozenset({TaskStatus.PENDING, TaskStatus.RESERVED})
"""Statuses in which a task is still looking for a worker (TTL and workflow apply)."""

ACTIVE_RESERVATION_STATUSES: Final = frozenset(
    {ReservationStatus.PENDING, ReservationStatus.ACCEPTED, ReservationStatus.WRAPPING}
)
"""Reservations that occupy a worker's channel capacity."""


@dataclass(slots=True)
class Activity:
    sid: str
    friendly_name: str
    available: bool


@dataclass(slots=True)
class TaskChannel:
    sid: str
    unique_name: str
    friendly_name: str = ""
    channel_optimized_routing: bool = False


@dataclass(slots=True)
class WorkerChannel:
    """A worker's capacity on one task channel and how much of it is in use."""

    task_channel_sid: str
    configured_capacity: int = 1
    available: bool = True
    reserved_tasks: int = 0
    assigned_tasks: int = 0
    wrapping_tasks: int = 0
    idle_since: float = 0.0
    """Last time a task of this channel was offered to, or left, the worker."""

    @property
    def occupied(self) -> int:
        return self.reserved_tasks + self.assigned_tasks + self.wrapping_tasks

    @property
    def available_capacity_percentage(self) -> int:
        if self.configured_capacity <= 0:
            return 0
        free = max(self.configured_capacity - self.occupied, 0)
        return free * 100 // self.configured_capacity


@dataclass(slots=True)
class Worker:
    sid: str
    friendly_name: str
    attributes: dict[str, Any]
    activity_sid: str
    available: bool
    activity_changed_at: float
    idle_since: float
    """Orders workers "longest idle first": the last time the worker became available, was
    offered a task or finished one (TaskRouter reserves the worker unoccupied the longest)."""
    channels: dict[str, WorkerChannel] = field(default_factory=dict)

    @property
    def occupied(self) -> int:
        return sum(channel.occupied for channel in self.channels.values())

    @property
    def reserved_tasks(self) -> int:
        return sum(channel.reserved_tasks for channel in self.channels.values())

    @property
    def assigned_tasks(self) -> int:
        return sum(channel.assigned_tasks for channel in self.channels.values())


@dataclass(slots=True)
class TaskQueue:
    sid: str
    friendly_name: str
    target_workers: str = "1==1"
    task_order: QueueOrder = QueueOrder.FIFO
    max_reserved_workers: int = 1
    reservation_activity_sid: str | None = None
    assignment_activity_sid: str | None = None


@dataclass(slots=True)
class Workflow:
    sid: str
    friendly_name: str
    configuration: WorkflowConfiguration
    task_reservation_timeout: int = DEFAULT_RESERVATION_TIMEOUT


@dataclass(slots=True)
class Task:
    sid: str
    attributes: dict[str, Any]
    priority: int
    task_channel_sid: str
    workflow_sid: str
    created_at: float
    timeout: int = DEFAULT_TASK_TTL
    assignment_status: TaskStatus = TaskStatus.PENDING
    reason: str | None = None
    updated_at: float = 0.0
    virtual_start_time: float = 0.0
    """Orders the task in its queue (defaults to ``created_at``)."""
    queue_sid: str | None = None
    queue_entered_at: float | None = None
    filter_index: int | None = None
    """Matched workflow filter; ``DEFAULT_FILTER_INDEX`` for the default filter."""
    target_index: int = 0
    target_entered_at: float | None = None
    target_timeout_base: float = 0.0
    """Instant the current target's timeout counts from: TaskRouter measures target timeouts
    against the task's age, so a task moving on by timeout keeps the clock running."""
    target_deadline: float | None = None
    routing_target: str | None = None
    """TaskRouter's ``RoutingTarget``: a worker or queue SID routes the task straight there,
    past its workflow's filters (a workflow SID routes it by that workflow)."""
    ignore_capacity: bool = False
    """With a worker as ``routing_target``: its first offer goes to that worker whatever its
    activity and capacity (TaskRouter's ``IgnoreCapacity``, true by default)."""

    @property
    def ttl_deadline(self) -> float:
        return self.created_at + self.timeout


@dataclass(slots=True)
class Reservation:
    sid: str
    task_sid: str
    worker_sid: str
    queue_sid: str
    workflow_sid: str
    task_channel_sid: str
    created_at: float
    timeout_at: float
    status: ReservationStatus = ReservationStatus.PENDING
    updated_at: float = 0.0
    previous_activity_sid: str | None = None
    """The worker's activity before the queue's reservation activity was applied, restored if
    the reservation ends without being accepted."""


@dataclass(slots=True)
class WorkspaceSettings:
    default_activity_sid: str | None = None
    timeout_activity_sid: str | None = None
    multi_task_enabled: bool = True
    prioritize_queue_order: QueueOrder = QueueOrder.FIFO
