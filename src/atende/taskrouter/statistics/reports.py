"""The statistics documents of the TaskRouter API, assembled from the real-time counters, the
per-minute buckets and (for service-level splits only) the stored events of the window."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.events.models import Event
from atende.routing.engine import RoutingEngine
from atende.routing.events import EventType
from atende.taskrouter.statistics.cumulative import (
    ACTIVITY_PREFIX,
    RESERVATION_METRICS,
    Aggregate,
    Window,
    totals,
)
from atende.taskrouter.statistics.realtime import (
    RealtimeCounters,
    Scope,
    activity_statistics,
    longest_waiting,
)
from atende.taskrouter.web.representations import iso

JSON = dict[str, Any]

_SPLIT_EVENTS = (EventType.RESERVATION_ACCEPTED.value, EventType.TASK_CANCELED.value)


class StatisticsReports:
    """Statistics of one workspace as of `now`."""

    def __init__(
        self,
        session: AsyncSession,
        workspace_sid: str,
        engine: RoutingEngine,
        realtime: RealtimeCounters,
        now: datetime,
    ) -> None:
        self.session = session
        self.workspace_sid = workspace_sid
        self.engine = engine
        self.realtime = realtime
        self.now = now

    # ---------------------------------------------------------------- real time

    def _task_figures(self, scope: Scope) -> JSON:
        waiting = list(self.realtime.waiting_tasks(self.engine, scope))
        age, sid = longest_waiting(waiting, self.now.timestamp())
        by_status = self.realtime.tasks_by_status(scope)
        return {
            "longest_task_waiting_age": age,
            "longest_task_waiting_sid": sid,
            "tasks_by_priority": self.realtime.tasks_by_priority(scope),
            "tasks_by_status": by_status,
            "total_tasks": sum(by_status.values()),
        }

    def workspace_realtime(self, channel_sid: str | None) -> JSON:
        workers = self.realtime.workers_by_activity
        return {
            "activity_statistics": activity_statistics(self.engine, workers),
            **self._task_figures(Scope(channel_sid=channel_sid)),
            "total_workers": sum(workers.values()),
        }

    def workflow_realtime(self, workflow_sid: str, channel_sid: str | None) -> JSON:
        return self._task_figures(Scope(workflow_sid=workflow_sid, channel_sid=channel_sid))

    def queue_realtime(self, queue_sid: str, channel_sid: str | None) -> JSON:
        scope = Scope(queue_sid=queue_sid, channel_sid=channel_sid)
        figures = self._task_figures(scope)
        waiting = list(self.realtime.waiting_tasks(self.engine, scope))
        relative_age, relative_sid = longest_waiting(
            waiting, self.now.timestamp(), relative_to_queue=True
        )
        members = self.engine.eligible_workers(queue_sid)
        workers = self.engine.workers
        by_activity = _count_activities(workers[sid].activity_sid for sid in members)
        return {
            "activity_statistics": activity_statistics(self.engine, by_activity),
            **figures,
            "longest_relative_task_age_in_queue": relative_age,
            "longest_relative_task_sid_in_queue": relative_sid,
            "total_available_workers": sum(1 for sid in members if workers[sid].available),
            "total_eligible_workers": len(members),
        }

    def workers_realtime(self, worker_sids: Sequence[str] | None = None) -> JSON:
        """All workers, or those given (a queue's, or those matching a name)."""
        if worker_sids is None:
            by_activity = self.realtime.workers_by_activity
        else:
            workers = self.engine.workers
            by_activity = _count_activities(workers[sid].activity_sid for sid in worker_sids)
        return {
            "activity_statistics": activity_statistics(self.engine, by_activity),
            "total_workers": sum(by_activity.values()),
        }

    # --------------------------------------------------------------- cumulative

    async def _totals(self, scope_sid: str, span: Window, channel: str | None) -> Totals:
        found = await totals(self.session, self.workspace_sid, scope_sid, span, channel)
        return Totals(found)

    def _window(self, span: Window) -> JSON:
        return {"start_time": iso(span.start), "end_time": iso(span.end)}

    async def workspace_cumulative(
        self, span: Window, channel: str | None, thresholds: Sequence[int]
    ) -> JSON:
        found = await self._totals(self.workspace_sid, span, channel)
        return {
            **self._window(span),
            **found.acceptance(),
            **found.reservations(),
            **found.counts("tasks_canceled", "tasks_completed", "tasks_created"),
            **found.counts("tasks_deleted", "tasks_moved", "tasks_timed_out_in_workflow"),
            "split_by_wait_time": await self._split(span, channel, thresholds),
        }

    async def workflow_cumulative(
        self, workflow_sid: str, span: Window, channel: str | None, thresholds: Sequence[int]
    ) -> JSON:
        found = await self._totals(workflow_sid, span, channel)
        return {
            **self._window(span),
            **found.acceptance(),
            **found.reservations(),
            **found.counts("tasks_canceled", "tasks_completed", "tasks_entered"),
            **found.counts("tasks_deleted", "tasks_moved", "tasks_timed_out_in_workflow"),
            "split_by_wait_time": await self._split(
                span, channel, thresholds, workflow_sid=workflow_sid
            ),
            "workflow_sid": workflow_sid,
        }

    async def queue_cumulative(
        self, queue_sid: str, span: Window, channel: str | None, thresholds: Sequence[int]
    ) -> JSON:
        found = await self._totals(queue_sid, span, channel)
        return {
            **self._window(span),
            **found.acceptance(),
            **found.reservations(),
            "wait_duration_in_queue_until_accepted": found.get(
                "wait_in_queue_until_accepted"
            ).durations(),
            **found.counts("tasks_canceled", "tasks_completed", "tasks_deleted"),
            **found.counts("tasks_entered", "tasks_moved"),
            "split_by_wait_time": await self._split(span, channel, thresholds, queue_sid=queue_sid),
            "task_queue_sid": queue_sid,
        }

    async def workers_cumulative(self, span: Window, channel: str | None) -> JSON:
        found = await self._totals(self.workspace_sid, span, channel)
        activities = await self._totals(self.workspace_sid, span, None)
        return {
            **self._window(span),
            "activity_durations": activities.activity_durations(self.engine),
            **found.reservations(),
        }

    async def worker_cumulative(self, worker_sid: str, span: Window, channel: str | None) -> JSON:
        found = await self._totals(worker_sid, span, channel)
        activities = await self._totals(worker_sid, span, None)
        return {
            **self._window(span),
            "activity_durations": activities.activity_durations(self.engine),
            **found.reservations(),
            **found.counts("tasks_assigned"),
        }

    async def _split(
        self,
        span: Window,
        channel: str | None,
        thresholds: Sequence[int],
        *,
        queue_sid: str | None = None,
        workflow_sid: str | None = None,
    ) -> JSON | None:
        """Accepted reservations and canceled tasks below/above each wait threshold (seconds).

        Thresholds are chosen per request, so this one figure reads the window's events."""
        if not thresholds:
            return None
        split = {
            str(limit): {
                "above": {"tasks_canceled": 0, "reservations_accepted": 0},
                "below": {"tasks_canceled": 0, "reservations_accepted": 0},
            }
            for limit in thresholds
        }
        rows = await self.session.execute(
            select(Event.event_type, Event.data).where(
                Event.workspace_sid == self.workspace_sid,
                Event.event_type.in_(_SPLIT_EVENTS),
                Event.event_date >= span.start,
                Event.event_date <= span.end,
            )
        )
        for event_type, data in rows:
            if queue_sid is not None and data.get("task_queue_sid") != queue_sid:
                continue
            if workflow_sid is not None and data.get("workflow_sid") != workflow_sid:
                continue
            if channel is not None and data.get("task_channel_sid") != channel:
                continue
            key = "tasks_canceled" if event_type == "task.canceled" else "reservations_accepted"
            age = data.get("task_age") or 0
            for limit in thresholds:
                split[str(limit)]["below" if age < limit else "above"][key] += 1
        return split


class Totals:
    """The window's sums by metric, shaped into TaskRouter's fields."""

    def __init__(self, found: dict[str, Aggregate]) -> None:
        self._found = found

    def get(self, metric: str) -> Aggregate:
        return self._found.get(metric, Aggregate())

    def counts(self, *metrics: str) -> dict[str, int]:
        return {metric: self.get(metric).count for metric in metrics}

    def reservations(self) -> dict[str, int]:
        return self.counts(*RESERVATION_METRICS.values())

    def acceptance(self) -> JSON:
        accepted = self.get("wait_until_accepted")
        return {
            "avg_task_acceptance_time": accepted.durations()["avg"],
            "wait_duration_until_accepted": accepted.durations(),
            "wait_duration_until_canceled": self.get("wait_until_canceled").durations(),
        }

    def activity_durations(self, engine: RoutingEngine) -> list[JSON]:
        durations = []
        for activity in engine.activities.values():
            figures = self.get(ACTIVITY_PREFIX + activity.sid).durations()
            durations.append(
                {"sid": activity.sid, "friendly_name": activity.friendly_name, **figures}
            )
        return durations


def _count_activities(activity_sids: Iterable[str]) -> Counter[str]:
    return Counter(activity_sids)
