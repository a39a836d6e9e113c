"""Real-time statistics, from counters kept in step with the engine.

Task counts are kept per (status, queue, workflow, channel, priority) and adjusted with each
command's changed tasks, so a figure costs the number of distinct keys, not the number of tasks;
worker counts per activity likewise. Only figures that need individual items (the longest
waiting task, a queue's eligible workers) look at the engine, and only at what they concern."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.routing.engine import RoutingEngine
from atende.routing.model import TERMINAL_TASK_STATUSES, WAITING_TASK_STATUSES, Task, TaskStatus
from atende.routing.state import RoutingChanges
from atende.taskrouter import models

STATUSES = tuple(status.value for status in TaskStatus)


class TaskKey(NamedTuple):
    status: str
    queue_sid: str | None
    workflow_sid: str | None
    channel_sid: str
    priority: int


def _key(task: Task) -> TaskKey:
    return TaskKey(
        task.assignment_status.value,
        task.queue_sid,
        task.workflow_sid,
        task.task_channel_sid,
        task.priority,
    )


@dataclass(frozen=True, slots=True)
class Scope:
    """Which tasks a figure is about: all, one queue's or one workflow's, maybe one channel's."""

    queue_sid: str | None = None
    workflow_sid: str | None = None
    channel_sid: str | None = None

    def admits_key(self, key: TaskKey) -> bool:
        return (
            (self.queue_sid is None or key.queue_sid == self.queue_sid)
            and (self.workflow_sid is None or key.workflow_sid == self.workflow_sid)
            and (self.channel_sid is None or key.channel_sid == self.channel_sid)
        )

    def admits(self, task: Task) -> bool:
        return self.admits_key(_key(task))


class RealtimeCounters:
    def __init__(self) -> None:
        self.tasks: Counter[TaskKey] = Counter()
        self._live: dict[str, TaskKey] = {}
        self.workers_by_activity: Counter[str] = Counter()
        self._worker_activity: dict[str, str] = {}

    @classmethod
    async def load(
        cls, session: AsyncSession, workspace_sid: str, engine: RoutingEngine
    ) -> RealtimeCounters:
        """Finished tasks are counted in the database once; live ones come from the engine."""
        counters = cls()
        task = models.Task
        rows = await session.execute(
            select(
                task.assignment_status,
                task.task_queue_sid,
                task.workflow_sid,
                task.task_channel_sid,
                task.priority,
                func.count(),
            )
            .where(
                task.workspace_sid == workspace_sid,
                task.assignment_status.in_([s.value for s in TERMINAL_TASK_STATUSES]),
            )
            .group_by(
                task.assignment_status,
                task.task_queue_sid,
                task.workflow_sid,
                task.task_channel_sid,
                task.priority,
            )
        )
        for status, queue, workflow, channel, priority, count in rows:
            counters.tasks[TaskKey(status, queue, workflow, channel, priority)] += count
        for live in engine.tasks.values():
            counters._count_task(live)
        for worker in engine.workers.values():
            counters._count_worker(worker.sid, worker.activity_sid)
        return counters

    def _count_task(self, task: Task) -> None:
        key = _key(task)
        self.tasks[key] += 1
        if task.assignment_status not in TERMINAL_TASK_STATUSES:
            self._live[task.sid] = key

    def _count_worker(self, sid: str, activity_sid: str) -> None:
        self._worker_activity[sid] = activity_sid
        self.workers_by_activity[activity_sid] += 1

    def observe(self, engine: RoutingEngine, changes: RoutingChanges) -> None:
        """Move each changed task and worker from its previous key to its current one."""
        for sid in changes.task_sids:
            previous = self._live.pop(sid, None)
            if previous is not None:
                self.tasks[previous] -= 1
            task = engine.tasks.get(sid)
            if task is not None:
                self._count_task(task)
        for sid in changes.worker_sids:
            activity = self._worker_activity.pop(sid, None)
            if activity is not None:
                self.workers_by_activity[activity] -= 1
            worker = engine.workers.get(sid)
            if worker is not None:
                self._count_worker(sid, worker.activity_sid)

    def forget_finished_task(self, row: models.Task) -> None:
        """A completed or canceled task deleted straight from the database."""
        key = TaskKey(
            row.assignment_status,
            row.task_queue_sid,
            row.workflow_sid,
            row.task_channel_sid,
            row.priority,
        )
        if self.tasks[key] > 0:
            self.tasks[key] -= 1

    # ---------------------------------------------------------------- figures

    def tasks_by_status(self, scope: Scope) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for key, count in self.tasks.items():
            if count and scope.admits_key(key):
                counts[key.status] += count
        return counts

    def tasks_by_priority(self, scope: Scope) -> dict[str, int]:
        """Tasks still waiting for a worker, by priority."""
        counts: Counter[str] = Counter()
        for key, count in self.tasks.items():
            if count and key.status in WAITING_TASK_STATUSES and scope.admits_key(key):
                counts[str(key.priority)] += count
        return dict(counts)

    def waiting_tasks(self, engine: RoutingEngine, scope: Scope) -> Iterable[Task]:
        for sid, key in self._live.items():
            if key.status in WAITING_TASK_STATUSES and scope.admits_key(key):
                task = engine.tasks.get(sid)
                if task is not None:
                    yield task


def longest_waiting(
    tasks: Iterable[Task], now: float, *, relative_to_queue: bool = False
) -> tuple[int, str | None]:
    """(age in seconds, SID) of the oldest waiting task, by creation or by queue entry."""
    oldest: Task | None = None
    oldest_at = now
    for task in tasks:
        started = task.queue_entered_at if relative_to_queue else task.created_at
        if started is not None and started <= oldest_at:
            oldest, oldest_at = task, started
    if oldest is None:
        return 0, None
    return int(now - oldest_at), oldest.sid


def activity_statistics(
    engine: RoutingEngine, workers_by_activity: Counter[str]
) -> list[dict[str, Any]]:
    return [
        {
            "sid": activity.sid,
            "friendly_name": activity.friendly_name,
            "workers": workers_by_activity.get(activity.sid, 0),
        }
        for activity in engine.activities.values()
    ]
