"""Tables of the TaskRouter-compatible domain.

The routing engine keeps the live state in memory; these rows are its durable copy, written in
the same transaction as the events a command produced, so a restart rebuilds the engine from
them exactly. JSON documents (attributes, workflow configuration) are stored as the text the
client sent, because TaskRouter returns them byte for byte."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, utcnow

SID = String(34)


class Workspace(Base):
    __tablename__ = "taskrouter_workspaces"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    account_sid: Mapped[str] = mapped_column(SID, index=True)
    friendly_name: Mapped[str] = mapped_column(String(200))
    event_callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    # Comma-separated event types, as the client sent them; None means every event.
    events_filter: Mapped[str | None] = mapped_column(Text, default=None)
    default_activity_sid: Mapped[str | None] = mapped_column(SID, default=None)
    timeout_activity_sid: Mapped[str | None] = mapped_column(SID, default=None)
    multi_task_enabled: Mapped[bool] = mapped_column(default=True)
    prioritize_queue_order: Mapped[str] = mapped_column(String(4), default="FIFO")
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)


class Activity(Base):
    __tablename__ = "taskrouter_activities"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(SID, index=True)
    friendly_name: Mapped[str] = mapped_column(String(200))
    available: Mapped[bool] = mapped_column(default=False)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("workspace_sid", "friendly_name"),)


class TaskChannel(Base):
    __tablename__ = "taskrouter_task_channels"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(SID, index=True)
    unique_name: Mapped[str] = mapped_column(String(200))
    friendly_name: Mapped[str] = mapped_column(String(200))
    channel_optimized_routing: Mapped[bool | None] = mapped_column(default=None)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("workspace_sid", "unique_name"),)


class Worker(Base):
    __tablename__ = "taskrouter_workers"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(SID)
    friendly_name: Mapped[str] = mapped_column(String(200))
    attributes: Mapped[str] = mapped_column(Text, default="{}")
    activity_sid: Mapped[str] = mapped_column(SID)
    available: Mapped[bool] = mapped_column(default=False)
    date_status_changed: Mapped[datetime] = mapped_column(default=utcnow)
    # The engine's "longest idle first" order: when the worker was last offered or freed of work.
    idle_since: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=0)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("workspace_sid", "friendly_name"),
        Index("ix_taskrouter_workers_workspace_activity", "workspace_sid", "activity_sid"),
    )


class WorkerChannel(Base):
    """A worker's capacity on one task channel (one call, several chats)."""

    __tablename__ = "taskrouter_worker_channels"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(SID)
    worker_sid: Mapped[str] = mapped_column(SID)
    task_channel_sid: Mapped[str] = mapped_column(SID)
    configured_capacity: Mapped[int] = mapped_column(default=1)
    available: Mapped[bool] = mapped_column(default=True)
    idle_since: Mapped[datetime] = mapped_column(default=utcnow)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("worker_sid", "task_channel_sid"),
        Index("ix_taskrouter_worker_channels_workspace", "workspace_sid"),
    )


class TaskQueue(Base):
    __tablename__ = "taskrouter_task_queues"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(SID)
    friendly_name: Mapped[str] = mapped_column(String(200))
    target_workers: Mapped[str | None] = mapped_column(Text, default=None)
    max_reserved_workers: Mapped[int] = mapped_column(default=1)
    task_order: Mapped[str] = mapped_column(String(4), default="FIFO")
    reservation_activity_sid: Mapped[str | None] = mapped_column(SID, default=None)
    assignment_activity_sid: Mapped[str | None] = mapped_column(SID, default=None)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("workspace_sid", "friendly_name"),)


class Workflow(Base):
    __tablename__ = "taskrouter_workflows"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(SID, index=True)
    friendly_name: Mapped[str] = mapped_column(String(200))
    configuration: Mapped[str] = mapped_column(Text)
    assignment_callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    fallback_assignment_callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    task_reservation_timeout: Mapped[int] = mapped_column(default=120)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)


class Task(Base):
    __tablename__ = "taskrouter_tasks"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(SID)
    workflow_sid: Mapped[str | None] = mapped_column(SID, default=None)
    task_queue_sid: Mapped[str | None] = mapped_column(SID, default=None)
    task_channel_sid: Mapped[str] = mapped_column(SID)
    attributes: Mapped[str] = mapped_column(Text, default="{}")
    assignment_status: Mapped[str] = mapped_column(String(12), default="pending")
    priority: Mapped[int] = mapped_column(default=0)
    timeout: Mapped[int] = mapped_column(default=86400)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    routing_target: Mapped[str | None] = mapped_column(SID, default=None)
    ignore_capacity: Mapped[bool] = mapped_column(default=False)
    # Where the task stands in its workflow (matched filter, -1 for the default one, and target)
    # and when that step times out, so workflow timers resume after a restart.
    filter_index: Mapped[int | None] = mapped_column(default=None)
    target_index: Mapped[int] = mapped_column(default=0)
    target_entered_at: Mapped[datetime | None] = mapped_column(default=None)
    target_timeout_base: Mapped[datetime | None] = mapped_column(default=None)
    target_deadline: Mapped[datetime | None] = mapped_column(default=None)
    task_queue_entered_date: Mapped[datetime | None] = mapped_column(default=None)
    virtual_start_time: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=0)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_taskrouter_tasks_workspace_status", "workspace_sid", "assignment_status"),
        Index("ix_taskrouter_tasks_workspace_queue", "workspace_sid", "task_queue_sid"),
        Index("ix_taskrouter_tasks_workspace_workflow", "workspace_sid", "workflow_sid"),
        Index("ix_taskrouter_tasks_workspace_created", "workspace_sid", "date_created"),
    )


class Reservation(Base):
    __tablename__ = "taskrouter_reservations"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(SID)
    task_sid: Mapped[str] = mapped_column(SID, index=True)
    worker_sid: Mapped[str] = mapped_column(SID)
    task_queue_sid: Mapped[str] = mapped_column(SID)
    workflow_sid: Mapped[str] = mapped_column(SID)
    task_channel_sid: Mapped[str] = mapped_column(SID)
    reservation_status: Mapped[str] = mapped_column(String(12), default="pending")
    # When a pending reservation times out; persisted so the timer survives a restart.
    timeout_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The worker's activity before the queue's reservation activity, restored on a non-accept.
    previous_activity_sid: Mapped[str | None] = mapped_column(SID, default=None)
    # An AssignmentCallbackUrl (or API) instruction for the voice channel to carry out.
    instruction: Mapped[str | None] = mapped_column(String(20), default=None)
    instruction_params: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(default=0)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_taskrouter_reservations_worker_status", "worker_sid", "reservation_status"),
        Index("ix_taskrouter_reservations_workspace_status", "workspace_sid", "reservation_status"),
    )


class StatisticsBucket(Base):
    """One minute of one cumulative metric for one scope (workspace, queue, workflow, worker).

    Counters are summed over the buckets of the asked window, so cumulative statistics cost the
    number of minutes asked, whatever the number of workers. A duration metric keeps count,
    total, min and max, which is what TaskRouter's avg/min/max/total need."""

    __tablename__ = "taskrouter_statistics_buckets"

    workspace_sid: Mapped[str] = mapped_column(SID, primary_key=True)
    scope_sid: Mapped[str] = mapped_column(SID, primary_key=True)
    task_channel_sid: Mapped[str] = mapped_column(String(34), primary_key=True)
    metric: Mapped[str] = mapped_column(String(80), primary_key=True)
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    total: Mapped[float] = mapped_column(default=0.0)
    minimum: Mapped[float | None] = mapped_column(default=None)
    maximum: Mapped[float | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_taskrouter_statistics_scope_minute", "scope_sid", "minute"),)
