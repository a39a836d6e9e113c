"""What a supervisor sees and does: live queues, the team, an agent's status, signing an agent
out, moving a task. Figures come from the routing engine's memory and the service-level
tracker, so a busy screen refreshing several times a second costs no query per agent."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.principal import Principal
from atende.auth.service import AuthService
from atende.conversations.repository import ConversationRepository
from atende.db.base import utcnow
from atende.desk.agent_service import activities, as_problem
from atende.desk.models import DEFAULT_TARGET_PERCENT, DEFAULT_THRESHOLD_SECONDS
from atende.desk.repository import DeskRepository
from atende.desk.schemas import Overview, QueueFigures, Team, Totals, WorkspaceRef
from atende.desk.service_level import QueueDay, ServiceLevelTracker
from atende.desk.views import state_of, worker_view
from atende.errors import Problem
from atende.events.repository import EventRepository
from atende.routing.engine import RoutingEngine
from atende.routing.model import TaskStatus
from atende.runtime import Runtime
from atende.taskrouter.event_records import Actor
from atende.taskrouter.service import TaskRouterService
from atende.voice.controls import CallService

TRACKER_KEY = "desk.service_level"
WAITING = (TaskStatus.PENDING.value, TaskStatus.RESERVED.value)


class SupervisorDesk:
    def __init__(self, session: AsyncSession, runtime: Runtime, principal: Principal) -> None:
        self.session = session
        self.runtime = runtime
        self.principal = principal
        self.repo = DeskRepository(session)
        actor = Actor("supervisor", principal.worker_sid)
        self.taskrouter = TaskRouterService(session, runtime, actor)

    async def workspace(self, asked: str | None) -> str | None:
        """The one asked for, else the supervisor's own, else the first there is."""
        known = await self.repo.workspaces()
        sids = [workspace.sid for workspace in known]
        for candidate in (asked, self.principal.workspace_sid):
            if candidate:
                if candidate not in sids:
                    raise Problem(404, "Not Found", f"workspace_sid: no workspace {candidate}")
                return candidate
        return sids[0] if sids else None

    async def engine(self, workspace_sid: str) -> RoutingEngine:
        async with as_problem():
            return (await self.taskrouter.peek(workspace_sid)).engine

    # ------------------------------------------------------------------ reading

    async def overview(self, asked: str | None) -> Overview:
        last_seq = await EventRepository(self.session).last_sequence()
        workspace_sid = await self.workspace(asked)
        workspaces = [
            WorkspaceRef(sid=w.sid, name=w.friendly_name) for w in await self.repo.workspaces()
        ]
        if workspace_sid is None:
            return Overview(
                now=utcnow(),
                last_seq=last_seq,
                workspace_sid=None,
                workspaces=workspaces,
                activities=[],
                queues=[],
                totals=_totals([], Counter()),
            )
        engine = await self.engine(workspace_sid)
        reports = await self.taskrouter.statistics(workspace_sid)
        tracker: ServiceLevelTracker = self.runtime.services[TRACKER_KEY]
        today = await tracker.today(self.session, workspace_sid)
        goals = await self.repo.queue_goals(workspace_sid)
        queues = []
        for queue in engine.task_queues.values():
            realtime = reports.queue_realtime(queue.sid, None)
            goal = goals.get(queue.sid)
            queues.append(
                _queue_figures(
                    engine,
                    queue.sid,
                    queue.friendly_name,
                    realtime,
                    today.get(queue.sid, QueueDay()),
                    goal.threshold_seconds if goal else DEFAULT_THRESHOLD_SECONDS,
                    goal.target_percent if goal else DEFAULT_TARGET_PERCENT,
                )
            )
        people = Counter(state_of(worker) for worker in engine.workers.values())
        return Overview(
            now=utcnow(),
            last_seq=last_seq,
            workspace_sid=workspace_sid,
            workspaces=workspaces,
            activities=activities(engine),
            queues=queues,
            totals=_totals(queues, people, today),
        )

    async def team(self, asked: str | None, worker_sids: list[str] | None) -> Team:
        workspace_sid = await self.workspace(asked)
        if workspace_sid is None:
            return Team(now=utcnow(), workers=[])
        engine = await self.engine(workspace_sid)
        workers = engine.workers
        chosen = (
            workers.values()
            if worker_sids is None
            else (workers[sid] for sid in worker_sids if sid in workers)
        )
        return Team(now=utcnow(), workers=[worker_view(engine, worker) for worker in chosen])

    # ------------------------------------------------------------------ acting

    async def set_activity(self, workspace_sid: str, worker_sid: str, activity_sid: str) -> None:
        engine = await self.engine(workspace_sid)
        activity = engine.activities.get(activity_sid)
        if worker_sid not in engine.workers:
            raise Problem(404, "Not Found", f"no worker {worker_sid}")
        if activity is None:
            raise Problem(422, "Invalid activity", f"activity_sid: no activity {activity_sid}")
        async with as_problem():
            await self.taskrouter.update_worker(
                workspace_sid,
                worker_sid,
                activity_sid=activity_sid,
                reject_pending_reservations=not activity.available,
            )

    async def sign_out(self, workspace_sid: str, worker_sid: str) -> None:
        """Ends every session of the agent and takes them out of routing; work they already
        hold stays theirs to finish or for a supervisor to move."""
        engine = await self.engine(workspace_sid)
        offline = _offline_activity(engine)
        await self.set_activity(workspace_sid, worker_sid, offline)
        user = await self.repo.user_of_worker(worker_sid)
        if user is not None:
            await AuthService(self.session).sign_out_everywhere(user.id)

    async def move(
        self, workspace_sid: str, task_sid: str, queue_sid: str | None, worker_sid: str | None
    ) -> None:
        if bool(queue_sid) == bool(worker_sid):
            raise Problem(422, "Invalid move", "give either queue_sid or worker_sid")
        engine = await self.engine(workspace_sid)
        task = engine.tasks.get(task_sid)
        if task is None:
            raise Problem(404, "Not Found", f"task {task_sid} is not live in this workspace")
        if queue_sid and queue_sid not in engine.task_queues:
            raise Problem(422, "Invalid move", f"queue_sid: no queue {queue_sid}")
        if worker_sid and worker_sid not in engine.workers:
            raise Problem(422, "Invalid move", f"worker_sid: no worker {worker_sid}")
        by = self.principal.worker_sid or self.principal.name
        conversation = await ConversationRepository(self.session).by_task(task_sid)
        hub = self.runtime.services.get("messaging")
        if conversation is not None and conversation.state != "closed" and hub is not None:
            await hub.router.transfer(
                self.session, conversation, by, worker_sid=worker_sid, queue_sid=queue_sid
            )
            return
        call_sid = task.attributes.get("voice_call_sid")
        if isinstance(call_sid, str) and "voice.config" in self.runtime.services:
            calls = CallService(self.session, self.runtime)
            call = await calls.call_for(self.principal, call_sid)
            await calls.transfer(call, "cold", worker_sid, queue_sid)
            return
        await self._reroute(workspace_sid, engine, task_sid, queue_sid, worker_sid, by)

    async def _reroute(
        self,
        workspace_sid: str,
        engine: RoutingEngine,
        task_sid: str,
        queue_sid: str | None,
        worker_sid: str | None,
        by: str,
    ) -> None:
        """Any other task: ended as moved and routed again, carrying where it should go in the
        attributes chat and call transfers use (`target_worker`, `transfer_queue`), so the
        workflow's transfer filters (`voice.routing.transfer_filters`) serve moves too."""
        task = engine.tasks[task_sid]
        attributes: dict[str, Any] = {**task.attributes, "transferred_by": by}
        for stale in ("known_worker_sid", "target_worker", "transfer_queue"):
            attributes.pop(stale, None)
        if worker_sid:
            attributes["target_worker"] = worker_sid
        if queue_sid:
            attributes["transfer_queue"] = queue_sid
        channel = engine.task_channels[task.task_channel_sid].unique_name
        async with as_problem():
            if task.assignment_status.value in WAITING:
                await self.taskrouter.cancel_task(workspace_sid, task_sid, reason="moved")
            else:
                await self.taskrouter.complete_task(workspace_sid, task_sid, reason="moved")
            await self.taskrouter.create_task(
                workspace_sid, task.workflow_sid, attributes, channel, task.priority
            )


def _offline_activity(engine: RoutingEngine) -> str:
    default = engine.activities.get(engine.settings.default_activity_sid or "")
    if default is not None and not default.available:
        return default.sid
    for activity in engine.activities.values():
        if not activity.available:
            return activity.sid
    raise Problem(409, "Conflict", "this workspace has no unavailable activity to sign out to")


def _queue_figures(
    engine: RoutingEngine,
    queue_sid: str,
    name: str,
    realtime: dict[str, Any],
    today: QueueDay,
    threshold: int,
    target: int,
) -> QueueFigures:
    by_status = realtime.get("tasks_by_status", {})
    waiting = sum(int(by_status.get(status, 0)) for status in WAITING)
    longest = int(realtime.get("longest_task_waiting_age") or 0) if waiting else 0
    members = Counter(state_of(engine.workers[sid]) for sid in engine.eligible_workers(queue_sid))
    now = utcnow()
    return QueueFigures(
        sid=queue_sid,
        name=name,
        waiting=waiting,
        longest_wait_seconds=longest,
        oldest_waiting_since=now - timedelta(seconds=longest) if waiting else None,
        service_level=today.service_level(threshold),
        service_level_threshold=threshold,
        service_level_target=target,
        handled=today.handled,
        abandoned=today.abandoned,
        available=members["available"],
        busy=members["busy"],
        offline=members["offline"],
    )


def _totals(
    queues: list[QueueFigures],
    people: Counter[str],
    today: dict[str, QueueDay] | None = None,
) -> Totals:
    within = offered = 0
    for queue in queues:
        figures = (today or {}).get(queue.sid)
        if figures is not None:
            within += figures.answered_within(queue.service_level_threshold)
            offered += figures.offered(queue.service_level_threshold)
    targets = [queue.service_level_target for queue in queues]
    return Totals(
        waiting=sum(queue.waiting for queue in queues),
        longest_wait_seconds=max((queue.longest_wait_seconds for queue in queues), default=0),
        service_level=None if offered == 0 else 100 * within / offered,
        service_level_target=round(sum(targets) / len(targets))
        if targets
        else DEFAULT_TARGET_PERCENT,
        handled=sum(queue.handled for queue in queues),
        abandoned=sum(queue.abandoned for queue in queues),
        available=people["available"],
        busy=people["busy"],
        offline=people["offline"],
    )
