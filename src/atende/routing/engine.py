"""The routing core: a deterministic state machine matching tasks to workers like TaskRouter.

The live server and the simulator drive the same engine::

    engine = RoutingEngine(clock=time.time, sid_factory=new_sid, settings=settings)
    events = engine.create_task(workflow_sid="WW...", attributes={"type": "claim"})
    engine.accept_reservation(reservation_sid)

Each command validates first (a refused command raises
:class:`~atende.routing.errors.RoutingError` and changes nothing), then applies its effects and
returns the :class:`~atende.routing.events.RoutingEvent` list, in order.
:meth:`RoutingEngine.drain_changes` then names the tasks, reservations and workers to persist.
Deadlines only fire in :meth:`RoutingEngine.advance`, which the caller invokes when
:meth:`RoutingEngine.next_deadline` comes.

Matching follows TaskRouter: a task waits in the queue of its current routing step; among the
step's eligible workers that are in an available activity and have capacity on the task's
channel, the one idle the longest is reserved (or the step's ``order_by`` decides); a worker
with room takes the waiting task with the highest priority, then the oldest (the newest in a
LIFO queue). A queue's ``max_reserved_workers`` offers a task to several workers at once: the
first to accept wins and the other offers are rescinded.

Single-tasking workspaces (``multi_task_enabled=False``) give each worker one task at a time and
apply the queue's reservation and assignment activities; multitasking workspaces count capacity
per task channel and leave the worker's activity alone, as TaskRouter does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atende.routing.core import Clock, SidFactory
from atende.routing.errors import InvalidTransitionError, ResourceInUseError, RoutingError
from atende.routing.events import EventType, ResourceType, RoutingEvent
from atende.routing.expression import compile_expression
from atende.routing.model import (
    DEFAULT_TASK_TTL,
    MAX_PRIORITY,
    MAX_RESERVATION_TIMEOUT,
    MAX_RESERVED_WORKERS,
    MAX_TASK_TTL,
    QUEUE_PREFIX,
    WAITING_TASK_STATUSES,
    WORKER_PREFIX,
    WORKFLOW_PREFIX,
    Activity,
    QueueOrder,
    Reservation,
    ReservationStatus,
    Task,
    TaskChannel,
    TaskQueue,
    TaskStatus,
    Worker,
    WorkerChannel,
    Workflow,
    WorkspaceSettings,
)
from atende.routing.persistence import Persistence
from atende.routing.pools import LIVE, QueueState, TaskSlot, WorkerSlot
from atende.routing.timers import TimerKind
from atende.routing.workflow import WorkflowConfiguration, direct_configuration

__all__ = ["DEFAULT_CHANNEL", "Clock", "RoutingEngine", "SidFactory"]

DEFAULT_CHANNEL = "default"
"""Unique name of the task channel of tasks created without one (TaskRouter's default)."""

_STATUSES: dict[str, TaskStatus] = {status.value: status for status in TaskStatus}

# Enum members bound once: reading one off its enum class costs ~150 ns on Python 3.11.
_TASK_CREATED = EventType.TASK_CREATED
_WORKFLOW_ENTERED = EventType.WORKFLOW_ENTERED
_STATUS_PENDING = TaskStatus.PENDING
_STATUS_COMPLETED = TaskStatus.COMPLETED
_STATUS_WRAPPING = TaskStatus.WRAPPING
_STATUS_CANCELED = TaskStatus.CANCELED
_R_PENDING = ReservationStatus.PENDING
_TIMER_TASK_TTL = TimerKind.TASK_TTL
_ALLOWED_STATUS_CHANGES = {
    TaskStatus.CANCELED: WAITING_TASK_STATUSES,
    TaskStatus.WRAPPING: frozenset({TaskStatus.ASSIGNED}),
    TaskStatus.COMPLETED: frozenset({TaskStatus.ASSIGNED, TaskStatus.WRAPPING}),
}


class RoutingEngine(Persistence):
    """All routing state of one workspace, and the commands that change it.

    Read-only views: ``tasks``, ``reservations``, ``workers``, ``task_queues``, ``workflows``,
    ``activities``, ``task_channels`` (mappings by SID) and :attr:`settings`.
    """

    def __init__(
        self,
        clock: Clock,
        sid_factory: SidFactory,
        settings: WorkspaceSettings | None = None,
    ) -> None:
        super().__init__(clock, sid_factory, settings or WorkspaceSettings())

    # ------------------------------------------------------------------ queries

    @property
    def settings(self) -> WorkspaceSettings:
        return self._settings

    def eligible_workers(self, queue_sid: str) -> list[str]:
        """Workers the queue's ``target_workers`` selects, whatever their activity."""
        return list(self._queue(queue_sid).members)

    def queued_tasks(self, queue_sid: str) -> list[str]:
        """Tasks waiting in the queue (all channels), in the order they would be assigned."""
        state = self._queue(queue_sid)
        entries = [entry for waiting in state.waiting.values() for entry in waiting.all_in_order()]
        return [entry[4].task.sid for entry in sorted(entries)]

    def task_reservations(self, task_sid: str) -> list[Reservation]:
        """Every reservation the task has had, oldest first."""
        slot = self._task_slot(task_sid)
        return [self._reservations[sid] for sid in slot.reservation_history]

    def worker_reservations(self, worker_sid: str) -> list[Reservation]:
        """Reservations occupying the worker now (pending, accepted or wrapping)."""
        return list(self._worker_slot(worker_sid).reservations.values())

    # ---------------------------------------------------------- workspace set-up

    def configure_workspace(self, settings: WorkspaceSettings) -> list[RoutingEvent]:
        for sid in (settings.default_activity_sid, settings.timeout_activity_sid):
            if sid is not None:
                self._activity(sid)
        settings.prioritize_queue_order = _queue_order(settings.prioritize_queue_order)
        now = self._clock()
        previous = self._settings
        self._settings = settings
        events = [RoutingEvent(EventType.WORKSPACE_UPDATED, now, ResourceType.WORKSPACE, "")]
        if previous.prioritize_queue_order != settings.prioritize_queue_order:
            self._requeue_all()
        if previous.multi_task_enabled != settings.multi_task_enabled:
            for slot in self._worker_slots.values():
                self._refresh(slot, force=True)
                self._dirty_workers[slot.worker.sid] = slot
        self._flush(now, events)
        return events

    def upsert_activity(self, activity: Activity) -> list[RoutingEvent]:
        existing = self._activities.get(activity.sid)
        if existing is not None and existing.available != activity.available:
            raise InvalidTransitionError("an activity's availability cannot change")
        self._activities[activity.sid] = activity
        event_type = EventType.ACTIVITY_UPDATED if existing else EventType.ACTIVITY_CREATED
        return [RoutingEvent(event_type, self._clock(), ResourceType.ACTIVITY, activity.sid)]

    def remove_activity(self, sid: str) -> list[RoutingEvent]:
        self._activity(sid)
        if sid in (self._settings.default_activity_sid, self._settings.timeout_activity_sid):
            raise ResourceInUseError(f"activity {sid} is a workspace default")
        if any(worker.activity_sid == sid for worker in self._workers.values()):
            raise ResourceInUseError(f"activity {sid} is the activity of a worker")
        for queue in self._task_queues.values():
            if sid in (queue.reservation_activity_sid, queue.assignment_activity_sid):
                raise ResourceInUseError(f"activity {sid} is used by queue {queue.sid}")
        del self._activities[sid]
        return [RoutingEvent(EventType.ACTIVITY_DELETED, self._clock(), ResourceType.ACTIVITY, sid)]

    def upsert_task_channel(self, channel: TaskChannel) -> list[RoutingEvent]:
        existing = self._channels.get(channel.sid)
        holder = self._channel_by_name.get(channel.unique_name)
        if holder is not None and holder != channel.sid:
            raise RoutingError(f"task channel unique name {channel.unique_name} is taken")
        if existing is not None:
            del self._channel_by_name[existing.unique_name]
        self._channels[channel.sid] = channel
        self._channel_by_name[channel.unique_name] = channel.sid
        if existing is None:
            for slot in self._worker_slots.values():
                worker = slot.worker
                worker.channels[channel.sid] = WorkerChannel(
                    channel.sid, idle_since=worker.idle_since
                )
        elif existing.channel_optimized_routing != channel.channel_optimized_routing:
            for slot in self._worker_slots.values():
                self._refresh(slot, force=True)
        event_type = EventType.TASK_CHANNEL_UPDATED if existing else EventType.TASK_CHANNEL_CREATED
        return [RoutingEvent(event_type, self._clock(), ResourceType.TASK_CHANNEL, channel.sid)]

    def remove_task_channel(self, sid: str) -> list[RoutingEvent]:
        channel = self._channel(sid)
        if any(task.task_channel_sid == sid for task in self._live_tasks()):
            raise ResourceInUseError(f"task channel {sid} has tasks")
        del self._channels[sid]
        del self._channel_by_name[channel.unique_name]
        self._routed_channels.pop(sid, None)
        self._waiting_by_channel.pop(sid, None)
        for slot in self._worker_slots.values():
            slot.worker.channels.pop(sid, None)
            slot.ready_entries.pop(sid, None)
            slot.ready_lines.pop(sid, None)
        for state in self._queues.values():
            state.ready.pop(sid, None)
            state.waiting.pop(sid, None)
        now = self._clock()
        return [RoutingEvent(EventType.TASK_CHANNEL_DELETED, now, ResourceType.TASK_CHANNEL, sid)]

    def upsert_task_queue(self, queue: TaskQueue) -> list[RoutingEvent]:
        """Create or update a queue; raises ``ExpressionError`` for bad ``target_workers``."""
        if not 1 <= queue.max_reserved_workers <= MAX_RESERVED_WORKERS:
            raise RoutingError(f"max_reserved_workers must be between 1 and {MAX_RESERVED_WORKERS}")
        for activity_sid in (queue.reservation_activity_sid, queue.assignment_activity_sid):
            if activity_sid is not None:
                self._activity(activity_sid)
        order = _queue_order(queue.task_order)
        expression = compile_expression(queue.target_workers)
        queue.task_order = order
        now = self._clock()
        state = self._queues.get(queue.sid)
        self._task_queues[queue.sid] = queue
        events: list[RoutingEvent] = []
        if state is None:
            state = self._queues[queue.sid] = QueueState(queue, expression)
            events.append(
                RoutingEvent(EventType.TASK_QUEUE_CREATED, now, ResourceType.TASK_QUEUE, queue.sid)
            )
            self._recompute_members(state)
        else:
            previous = state.queue
            state.queue = queue
            state.target_workers = expression
            if previous.task_order != queue.task_order:
                self._requeue_all()
            if previous.target_workers != queue.target_workers:
                events.append(
                    RoutingEvent(
                        EventType.TASK_QUEUE_EXPRESSION_UPDATED,
                        now,
                        ResourceType.TASK_QUEUE,
                        queue.sid,
                    )
                )
                self._recompute_members(state)
        self._flush(now, events)
        return events

    def remove_task_queue(self, sid: str) -> list[RoutingEvent]:
        state = self._queue(sid)
        for workflow in self._workflows.values():
            if sid in workflow.configuration.queue_sids:
                raise ResourceInUseError(f"queue {sid} is used by workflow {workflow.sid}")
        if any(task.queue_sid == sid for task in self._live_tasks()):
            raise ResourceInUseError(f"queue {sid} has tasks")
        for slot in list(state.members.values()):
            self._set_queues(slot, {q: s for q, s in slot.queues.items() if q != sid})
        del self._queues[sid]
        del self._task_queues[sid]
        return [
            RoutingEvent(EventType.TASK_QUEUE_DELETED, self._clock(), ResourceType.TASK_QUEUE, sid)
        ]

    def upsert_workflow(
        self, workflow: Workflow, *, re_evaluate_tasks: bool = False
    ) -> list[RoutingEvent]:
        """Create or update a workflow. Waiting tasks keep the rules they entered with unless
        ``re_evaluate_tasks`` routes them through the new configuration at once (TaskRouter's
        ``ReEvaluateTasks``)."""
        if not 1 <= workflow.task_reservation_timeout <= MAX_RESERVATION_TIMEOUT:
            raise RoutingError(
                f"task_reservation_timeout must be between 1 and {MAX_RESERVATION_TIMEOUT}"
            )
        for queue_sid in sorted(workflow.configuration.queue_sids):
            self._queue(queue_sid)
        now = self._clock()
        existing = workflow.sid in self._workflows
        self._workflows[workflow.sid] = workflow
        event_type = EventType.WORKFLOW_UPDATED if existing else EventType.WORKFLOW_CREATED
        events = [RoutingEvent(event_type, now, ResourceType.WORKFLOW, workflow.sid)]
        if re_evaluate_tasks:
            for slot in list(self._task_slots.values()):
                task = slot.task
                if (
                    task.workflow_sid == workflow.sid
                    and task.assignment_status in WAITING_TASK_STATUSES
                    and _routed_by_workflow(task)
                ):
                    self._reevaluate(slot, now, events)
        self._flush(now, events)
        return events

    def remove_workflow(self, sid: str) -> list[RoutingEvent]:
        self._workflow(sid)
        if any(task.workflow_sid == sid for task in self._live_tasks()):
            raise ResourceInUseError(f"workflow {sid} has tasks")
        del self._workflows[sid]
        return [RoutingEvent(EventType.WORKFLOW_DELETED, self._clock(), ResourceType.WORKFLOW, sid)]

    # ------------------------------------------------------------------ workers

    def upsert_worker(
        self,
        sid: str,
        *,
        friendly_name: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        activity_sid: str | None = None,
    ) -> list[RoutingEvent]:
        """Create a worker (in the workspace's default activity unless ``activity_sid`` is
        given; capacity 1 on every channel) or update the fields given."""
        slot = self._worker_slots.get(sid)
        if activity_sid is not None:
            self._activity(activity_sid)
        elif slot is None:
            activity_sid = self._settings.default_activity_sid
            if activity_sid is None:
                raise RoutingError("the workspace has no default activity; give activity_sid")
        if friendly_name is not None:
            name = friendly_name
        else:
            name = sid if slot is None else slot.worker.friendly_name
        holder = self._worker_by_name.get(name.lower())
        if holder is not None and holder != sid:
            raise RoutingError(f"worker friendly name {name} is taken")
        now = self._clock()
        events: list[RoutingEvent] = []
        if slot is None:
            assert activity_sid is not None
            slot = self._create_worker(sid, name, dict(attributes or {}), activity_sid, now)
            events.append(self._worker_event(EventType.WORKER_CREATED, slot.worker, now))
            self._recompute_queues(slot)
        else:
            worker = slot.worker
            if worker.friendly_name != name:
                del self._worker_by_name[worker.friendly_name.lower()]
                worker.friendly_name = name
                self._worker_by_name[name.lower()] = sid
            if attributes is not None and dict(attributes) != worker.attributes:
                worker.attributes = dict(attributes)
                events.append(self._worker_event(EventType.WORKER_ATTRIBUTES_UPDATE, worker, now))
                self._recompute_queues(slot)
            if activity_sid is not None:
                self._change_activity(slot, self._activities[activity_sid], now, events)
        self._changed_workers.add(sid)
        self._flush(now, events)
        return events

    def remove_worker(self, sid: str) -> list[RoutingEvent]:
        slot = self._worker_slot(sid)
        if slot.reservations:
            raise ResourceInUseError(f"worker {sid} has reservations")
        for state in slot.queues.values():
            state.remove_member(sid)
        for entry in slot.ready_entries.values():
            if entry is not None:
                entry[LIVE] = False
        slot.ready_entries.clear()
        del self._worker_slots[sid]
        del self._workers[sid]
        del self._worker_by_name[slot.worker.friendly_name.lower()]
        self._dirty_workers.pop(sid, None)
        self._changed_workers.add(sid)
        return [self._worker_event(EventType.WORKER_DELETED, slot.worker, self._clock())]

    def set_worker_activity(
        self, worker_sid: str, activity_sid: str, *, reject_pending_reservations: bool = False
    ) -> list[RoutingEvent]:
        """Move a worker to an activity; its pending offers stay unless
        ``reject_pending_reservations`` (only with an unavailable activity) rejects them."""
        slot = self._worker_slot(worker_sid)
        activity = self._activity(activity_sid)
        if reject_pending_reservations and activity.available:
            raise RoutingError("reject_pending_reservations needs an unavailable activity")
        now = self._clock()
        events: list[RoutingEvent] = []
        self._change_activity(slot, activity, now, events)
        if reject_pending_reservations:
            for reservation in list(slot.reservations.values()):
                if reservation.status is ReservationStatus.PENDING:
                    self._end_offer(reservation, ReservationStatus.REJECTED, now, events)
                    self._after_offer_ended(self._task_slots[reservation.task_sid], now, events)
        self._flush(now, events)
        return events

    def update_worker_channel(
        self,
        worker_sid: str,
        task_channel: str,
        *,
        capacity: int | None = None,
        available: bool | None = None,
    ) -> list[RoutingEvent]:
        """Set a worker's capacity on a task channel (SID or unique name), or switch the
        channel off and on for that worker."""
        slot = self._worker_slot(worker_sid)
        channel_sid = self._resolve_channel(task_channel)
        if capacity is not None and capacity < 0:
            raise RoutingError("capacity cannot be negative")
        worker = slot.worker
        channel = worker.channels[channel_sid]
        now = self._clock()
        events: list[RoutingEvent] = []
        if capacity is not None and capacity != channel.configured_capacity:
            previous = channel.configured_capacity
            channel.configured_capacity = capacity
            events.append(
                self._channel_event(
                    EventType.WORKER_CAPACITY_UPDATE, worker, channel, now, previous
                )
            )
        if available is not None and available != channel.available:
            channel.available = available
            events.append(
                self._channel_event(
                    EventType.WORKER_CHANNEL_AVAILABILITY_UPDATE, worker, channel, now, None
                )
            )
        if events:
            self._changed_workers.add(worker_sid)
            self._refresh(slot)
            self._dirty_workers[worker_sid] = slot
            self._flush(now, events)
        return events

    # -------------------------------------------------------------------- tasks

    def create_task(
        self,
        *,
        workflow_sid: str,
        attributes: Mapping[str, Any] | None = None,
        priority: int | None = None,
        task_channel: str | None = None,
        timeout: int | None = None,
        virtual_start_time: float | None = None,
        sid: str | None = None,
        routing_target: str | None = None,
        ignore_capacity: bool | None = None,
        task_queue_sid: str | None = None,
    ) -> list[RoutingEvent]:
        """Create a task and route it. The first event, ``task.created``, carries its SID
        (``sid`` lets the caller choose it); ``timeout`` is the TTL in seconds.

        ``routing_target`` (TaskRouter's ``RoutingTarget``) names a workflow to route by, or a
        queue or a worker to route straight to, past the workflow's filters; the task still
        belongs to ``workflow_sid`` (its reservation timeout applies). A task for a worker waits
        in ``task_queue_sid``, by default the first of the worker's queues the workflow uses."""
        workflow = self._workflows.get(workflow_sid) or self._workflow(workflow_sid)
        config = workflow.configuration
        ignore = False
        if routing_target is not None or ignore_capacity is not None or task_queue_sid is not None:
            config, ignore = self._direct_route(
                workflow_sid, routing_target, ignore_capacity, task_queue_sid
            )
        channel_sid = task_channel if task_channel in self._channels else None
        if channel_sid is None:
            channel_sid = self._resolve_channel(task_channel or DEFAULT_CHANNEL)
        if priority is not None:
            _check_priority(priority)
        ttl = DEFAULT_TASK_TTL if timeout is None else timeout
        if not 1 <= ttl <= MAX_TASK_TTL:
            raise RoutingError(f"timeout must be between 1 and {MAX_TASK_TTL} seconds")
        if sid is None:
            sid = self._new_sid("WT")
        elif sid in self._task_slots:
            raise RoutingError(f"task {sid} already exists")
        now = self._clock()
        task = Task(
            sid,
            dict(attributes) if attributes else {},
            priority or 0,
            channel_sid,
            workflow_sid,
            now,
            ttl,
            _STATUS_PENDING,
            None,
            now,
            now if virtual_start_time is None else virtual_start_time,
        )
        if routing_target is not None:
            task.routing_target = routing_target
            task.ignore_capacity = ignore
        slot = TaskSlot(task, config)
        self._task_slots[sid] = slot
        self._tasks[sid] = task
        self._changed_tasks.add(sid)
        slot.ttl_timer = self._timers.schedule(now + ttl, _TIMER_TASK_TTL, sid)
        events = [
            self._task_event(_TASK_CREATED, task, now),
            self._task_event(_WORKFLOW_ENTERED, task, now),
        ]
        self._enter_workflow(slot, now, events)
        self._flush(now, events)
        return events

    def update_task(
        self,
        sid: str,
        *,
        attributes: Mapping[str, Any] | None = None,
        priority: int | None = None,
        virtual_start_time: float | None = None,
        assignment_status: TaskStatus | str | None = None,
        reason: str | None = None,
        task_channel: str | None = None,
    ) -> list[RoutingEvent]:
        """TaskRouter's task update. New attributes, or a new ``task_channel`` (SID or unique
        name), route a waiting task again from the top (its outstanding offers are canceled);
        ``assignment_status`` moves a waiting task to ``canceled`` or an assigned one to
        ``wrapping`` or ``completed``."""
        slot = self._task_slot(sid)
        task = slot.task
        status = None if assignment_status is None else _STATUSES.get(assignment_status)
        if assignment_status is not None:
            allowed = None if status is None else _ALLOWED_STATUS_CHANGES.get(status)
            if allowed is None or task.assignment_status not in allowed:
                raise InvalidTransitionError(
                    f"task {sid} is {task.assignment_status}; it cannot become {status}"
                )
        _check_priority(priority)
        channel_sid = None
        if task_channel is not None:
            channel_sid = self._new_channel(task, task_channel)
        now = self._clock()
        events: list[RoutingEvent] = []
        if (
            attributes is not None
            or priority is not None
            or virtual_start_time is not None
            or channel_sid is not None
        ):
            self._update_task_fields(
                slot, attributes, priority, virtual_start_time, channel_sid, now, events
            )
            if (
                status is None
                and (attributes is not None or channel_sid is not None)
                and task.assignment_status in WAITING_TASK_STATUSES
            ):
                self._reevaluate(slot, now, events)
        if status is _STATUS_COMPLETED:
            self._complete_task(slot, reason, now, events)
        elif status is _STATUS_WRAPPING:
            self._wrap_task(slot, reason, now, events)
        elif status is _STATUS_CANCELED:
            self._cancel_task(slot, reason, now, events)
        self._flush(now, events)
        return events

    def delete_task(self, sid: str) -> list[RoutingEvent]:
        """Delete a task in any state; its reservations go with it and free their workers."""
        slot = self._task_slot(sid)
        now = self._clock()
        events: list[RoutingEvent] = []
        for reservation in list(slot.reservations):
            self._end_offer(reservation, ReservationStatus.CANCELED, now, events)
        self._dequeue(slot)
        self._cancel_timers(slot)
        events.append(self._task_event(EventType.TASK_DELETED, slot.task, now))
        self._forget_task(sid)
        self._changed_tasks.add(sid)
        self._flush(now, events)
        return events

    # ------------------------------------------------------------- reservations

    def accept_reservation(self, sid: str) -> list[RoutingEvent]:
        """The worker takes the task; the task's other offers are rescinded."""
        reservation = self._reservations.get(sid)
        if reservation is None or reservation.status is not _R_PENDING:
            reservation = self._pending_reservation(sid)  # raises the right error
        now = self._clock()
        events: list[RoutingEvent] = []
        self._accept(reservation, now, events)
        if self._dirty_workers or self._dirty_tasks:  # only with rescinded offers
            self._flush(now, events)
        return events

    def reject_reservation(
        self, sid: str, *, activity_sid: str | None = None
    ) -> list[RoutingEvent]:
        """Reject an offer, optionally moving the worker to ``activity_sid``. As in TaskRouter
        the same task may be offered to the same worker again; a new activity prevents it."""
        reservation = self._pending_reservation(sid)
        activity = None if activity_sid is None else self._activity(activity_sid)
        now = self._clock()
        events: list[RoutingEvent] = []
        self._end_offer(reservation, ReservationStatus.REJECTED, now, events, activity=activity)
        self._after_offer_ended(self._task_slots[reservation.task_sid], now, events)
        self._flush(now, events)
        return events

    def wrap_reservation(self, sid: str, *, reason: str | None = None) -> list[RoutingEvent]:
        """Move an accepted reservation, and its task, to wrap-up."""
        task_sid = self._reservation(sid).task_sid
        return self.update_task(task_sid, assignment_status=TaskStatus.WRAPPING, reason=reason)

    def complete_reservation(self, sid: str, *, reason: str | None = None) -> list[RoutingEvent]:
        """Complete an accepted or wrapping reservation, and its task."""
        task_sid = self._reservation(sid).task_sid
        return self.update_task(task_sid, assignment_status=TaskStatus.COMPLETED, reason=reason)

    # ================================================================ internals

    def _direct_route(
        self,
        workflow_sid: str,
        routing_target: str | None,
        ignore_capacity: bool | None,
        task_queue_sid: str | None,
    ) -> tuple[WorkflowConfiguration, bool]:
        """The rules and the effective ``ignore_capacity`` of a task created with a
        ``routing_target``, after checking the three fit together."""
        target = routing_target or ""
        if ignore_capacity is not None and not target.startswith(WORKER_PREFIX):
            raise RoutingError("ignore_capacity only applies when routing_target is a worker SID")
        if target.startswith(WORKER_PREFIX):
            slot = self._worker_slot(target)
            queue_sid = self._queue_of_worker(slot, workflow_sid, task_queue_sid)
            ignore = True if ignore_capacity is None else ignore_capacity
            return direct_configuration(queue_sid, target), ignore
        if task_queue_sid is not None and task_queue_sid != target:
            raise RoutingError(
                "task_queue_sid only applies when routing_target is a worker SID or that queue"
            )
        if target.startswith(QUEUE_PREFIX):
            self._queue(target)
            return direct_configuration(target, None), False
        if target.startswith(WORKFLOW_PREFIX):
            if target != workflow_sid:
                raise RoutingError(
                    f"routing_target names workflow {target}, the task's workflow is {workflow_sid}"
                )
            return self._workflows[target].configuration, False
        raise RoutingError(
            f"routing_target {target!r} is not a worker (WK), task queue (WQ) or workflow (WW) SID"
        )

    def _queue_of_worker(
        self, slot: WorkerSlot, workflow_sid: str, task_queue_sid: str | None
    ) -> str:
        """The queue a task routed to a worker waits in (and its reservation reports): one the
        worker belongs to, so that the worker finds it there when it frees up."""
        worker_sid = slot.worker.sid
        if task_queue_sid is not None:
            if worker_sid not in self._queue(task_queue_sid).members:
                raise RoutingError(f"worker {worker_sid} is not in task queue {task_queue_sid}")
            return task_queue_sid
        for queue_sid in self._workflows[workflow_sid].configuration.queues_in_order:
            if queue_sid in slot.queues:
                return queue_sid
        if not slot.queues:
            raise RoutingError(
                f"worker {worker_sid} is in no task queue; a task routed to it waits in one"
            )
        return next(iter(slot.queues))

    def _new_channel(self, task: Task, task_channel: str) -> str | None:
        """The channel a task moves to (None: it stays where it is). Only a waiting task moves:
        an offered or assigned one already occupies its worker's capacity on the old one."""
        channel_sid = self._resolve_channel(task_channel)
        if channel_sid == task.task_channel_sid:
            return None
        if task.assignment_status not in WAITING_TASK_STATUSES:
            raise InvalidTransitionError(
                f"task {task.sid} is {task.assignment_status}; only a pending or reserved task"
                " can change its channel"
            )
        return channel_sid

    def _update_task_fields(
        self,
        slot: TaskSlot,
        attributes: Mapping[str, Any] | None,
        priority: int | None,
        virtual_start_time: float | None,
        channel_sid: str | None,
        now: float,
        events: list[RoutingEvent],
    ) -> None:
        task = slot.task
        if channel_sid is not None:
            self._dequeue(slot)  # counted as waiting on its old channel
            task.task_channel_sid = channel_sid
        if attributes is not None:
            task.attributes = dict(attributes)
        if priority is not None:
            task.priority = priority
        if virtual_start_time is not None:
            task.virtual_start_time = virtual_start_time
        task.updated_at = now
        self._changed_tasks.add(task.sid)
        events.append(self._task_event(EventType.TASK_UPDATED, task, now, self._holder(slot)))
        if slot.queued is not None:
            self._dequeue(slot)
            self._enqueue(slot)

    def _create_worker(
        self, sid: str, name: str, attributes: dict[str, Any], activity_sid: str, now: float
    ) -> WorkerSlot:
        activity = self._activities[activity_sid]
        worker = Worker(
            sid=sid,
            friendly_name=name,
            attributes=attributes,
            activity_sid=activity_sid,
            available=activity.available,
            activity_changed_at=now,
            idle_since=now,
            channels={
                channel: WorkerChannel(channel, idle_since=now) for channel in self._channels
            },
        )
        slot = WorkerSlot(worker)
        self._worker_slots[sid] = slot
        self._workers[sid] = worker
        self._worker_by_name[name.lower()] = sid
        return slot

    def _recompute_queues(self, slot: WorkerSlot) -> None:
        """Re-derive the worker's queues after its attributes changed."""
        worker = slot.worker
        admitted = {qsid: state for qsid, state in self._queues.items() if state.admits(worker)}
        if admitted.keys() != slot.queues.keys():
            self._set_queues(slot, admitted)

    def _recompute_members(self, state: QueueState) -> None:
        """Re-derive a queue's members after its expression changed (or it was created)."""
        qsid = state.queue.sid
        for slot in list(self._worker_slots.values()):
            admitted = state.admits(slot.worker)
            if admitted == (qsid in slot.queues):
                continue
            queues = {
                sid: other
                for sid, other in self._queues.items()
                if (sid == qsid and admitted) or (sid != qsid and sid in slot.queues)
            }
            self._set_queues(slot, queues)


def _routed_by_workflow(task: Task) -> bool:
    target = task.routing_target
    return target is None or target.startswith(WORKFLOW_PREFIX)


def _check_priority(priority: int | None) -> None:
    if priority is not None and not 0 <= priority <= MAX_PRIORITY:
        raise RoutingError(f"priority must be between 0 and {MAX_PRIORITY}")


def _queue_order(value: str) -> QueueOrder:
    try:
        return QueueOrder(value)
    except ValueError:
        raise RoutingError("queue order must be FIFO or LIFO") from None
