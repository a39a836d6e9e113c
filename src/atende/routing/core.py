"""The engine's state, lookups, event builders and indexes (the bottom layer of the engine).

The engine is one class built in layers, each in its own module and each using only the layers
below it: ``core`` (state and indexes) -> ``offers`` (reservations and the task lifecycle) ->
``walk`` (moving through workflow steps) -> ``matching`` (who gets what) -> ``deadlines`` ->
``persistence`` -> ``engine`` (the public commands).

This layer keeps two indexes current (see :mod:`atende.routing.pools`): for each queue and task
channel, a line of the ready workers and a heap of the waiting tasks. It runs on every
assignment, so it trades a little elegance for speed: positional events, cached lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from atende.routing.errors import InvalidTransitionError, UnknownResourceError
from atende.routing.events import EventType, ResourceType, RoutingEvent
from atende.routing.model import (
    TERMINAL_TASK_STATUSES,
    Activity,
    QueueOrder,
    Reservation,
    ReservationStatus,
    Task,
    TaskChannel,
    TaskQueue,
    Worker,
    WorkerChannel,
    Workflow,
    WorkspaceSettings,
)
from atende.routing.pools import (
    LIVE,
    QueueState,
    ReadyLine,
    TaskSlot,
    WaitingEntry,
    WaitingTasks,
    WorkerSlot,
)
from atende.routing.timers import Timer, Timers

_TASK = ResourceType.TASK
_RESERVATION = ResourceType.RESERVATION
_WORKER = ResourceType.WORKER
_LIFO = QueueOrder.LIFO

Clock = Callable[[], float]
"""Returns the current time in epoch seconds; the engine never reads the wall clock itself."""
SidFactory = Callable[[str], str]
"""Returns a new SID for a two-letter prefix (``WT`` tasks, ``WR`` reservations)."""

# Enum members bound once: reading one off its enum class costs ~150 ns on Python 3.11,
# and an assignment reads dozens.
_WORKER_ACTIVITY_UPDATE = EventType.WORKER_ACTIVITY_UPDATE
_R_PENDING = ReservationStatus.PENDING


class EngineCore:
    def __init__(self, clock: Clock, sid_factory: SidFactory, settings: WorkspaceSettings) -> None:
        self._clock = clock
        self._new_sid = sid_factory
        self._settings = settings
        self._activities: dict[str, Activity] = {}
        self._channels: dict[str, TaskChannel] = {}
        self._channel_by_name: dict[str, str] = {}
        self._queues: dict[str, QueueState] = {}
        self._task_queues: dict[str, TaskQueue] = {}
        self._workflows: dict[str, Workflow] = {}
        self._worker_slots: dict[str, WorkerSlot] = {}
        self._workers: dict[str, Worker] = {}
        self._worker_by_name: dict[str, str] = {}
        self._task_slots: dict[str, TaskSlot] = {}
        self._tasks: dict[str, Task] = {}
        self._reservations: dict[str, Reservation] = {}
        self._reservation_timers: dict[str, Timer] = {}
        self._timers = Timers()
        self._routed_channels: dict[str, None] = {}
        """Channels some queue has a ready line for; only those are kept indexed."""
        self._waiting_by_channel: dict[str, int] = {}
        self._waiting_total = 0
        self._sequence = 0
        self._dirty_workers: dict[str, WorkerSlot] = {}
        """Workers who may take work they could not take before (matched at the end of the
        command)."""
        self._dirty_tasks: list[TaskSlot] = []
        """Tasks that just entered a routing step or came back to it."""
        self._changed_tasks: set[str] = set()
        self._changed_reservations: set[str] = set()
        self._changed_workers: set[str] = set()
        self._ended: list[str] = []
        """Tasks completed or canceled since the last drain."""
        self._retiring: list[str] = []
        """Terminal tasks already reported by a drain, forgotten at the next one."""
        self.tasks: Mapping[str, Task] = MappingProxyType(self._tasks)
        self.reservations: Mapping[str, Reservation] = MappingProxyType(self._reservations)
        self.workers: Mapping[str, Worker] = MappingProxyType(self._workers)
        self.task_queues: Mapping[str, TaskQueue] = MappingProxyType(self._task_queues)
        self.workflows: Mapping[str, Workflow] = MappingProxyType(self._workflows)
        self.activities: Mapping[str, Activity] = MappingProxyType(self._activities)
        self.task_channels: Mapping[str, TaskChannel] = MappingProxyType(self._channels)

    # -- lookups (raising UnknownResourceError)

    def _activity(self, sid: str) -> Activity:
        activity = self._activities.get(sid)
        if activity is None:
            raise UnknownResourceError("activity", sid)
        return activity

    def _channel(self, sid: str) -> TaskChannel:
        channel = self._channels.get(sid)
        if channel is None:
            raise UnknownResourceError("task channel", sid)
        return channel

    def _resolve_channel(self, sid_or_name: str) -> str:
        if sid_or_name in self._channels:
            return sid_or_name
        sid = self._channel_by_name.get(sid_or_name)
        if sid is None:
            raise UnknownResourceError("task channel", sid_or_name)
        return sid

    def _queue(self, sid: str) -> QueueState:
        state = self._queues.get(sid)
        if state is None:
            raise UnknownResourceError("task queue", sid)
        return state

    def _workflow(self, sid: str) -> Workflow:
        workflow = self._workflows.get(sid)
        if workflow is None:
            raise UnknownResourceError("workflow", sid)
        return workflow

    def _worker_slot(self, sid: str) -> WorkerSlot:
        slot = self._worker_slots.get(sid)
        if slot is None:
            raise UnknownResourceError("worker", sid)
        return slot

    def _task_slot(self, sid: str) -> TaskSlot:
        slot = self._task_slots.get(sid)
        if slot is None:
            raise UnknownResourceError("task", sid)
        return slot

    def _reservation(self, sid: str) -> Reservation:
        reservation = self._reservations.get(sid)
        if reservation is None:
            raise UnknownResourceError("reservation", sid)
        return reservation

    def _pending_reservation(self, sid: str) -> Reservation:
        reservation = self._reservation(sid)
        if reservation.status is not _R_PENDING:
            raise InvalidTransitionError(f"reservation {sid} is {reservation.status}, not pending")
        return reservation

    def _live_tasks(self) -> Iterable[Task]:
        return (
            slot.task
            for slot in self._task_slots.values()
            if slot.task.assignment_status not in TERMINAL_TASK_STATUSES
        )

    # -- events (positional arguments: these run several times per assignment)

    @staticmethod
    def _task_event(
        event_type: str, task: Task, now: float, worker_sid: str | None = None
    ) -> RoutingEvent:
        """`worker_sid`: the worker holding the task, when the event is news to them (an update
        of a task they hold reaches their desk's stream, which follows events naming them)."""
        return RoutingEvent(
            event_type,
            now,
            _TASK,
            task.sid,
            task.sid,
            task.attributes,
            task.priority,
            task.assignment_status,
            task.created_at,
            task.reason,
            task.task_channel_sid,
            task.queue_sid,
            task.workflow_sid,
            worker_sid,
        )

    @staticmethod
    def _holder(slot: TaskSlot) -> str | None:
        """The worker a task is with: its only live reservation's (none while it waits, nor
        while several workers are offered it at once)."""
        return slot.reservations[0].worker_sid if len(slot.reservations) == 1 else None

    @staticmethod
    def _reservation_event(
        event_type: str, reservation: Reservation, task: Task, worker: Worker, now: float
    ) -> RoutingEvent:
        return RoutingEvent(
            event_type,
            now,
            _RESERVATION,
            reservation.sid,
            task.sid,
            task.attributes,
            task.priority,
            task.assignment_status,
            task.created_at,
            task.reason,
            task.task_channel_sid,
            reservation.queue_sid,
            task.workflow_sid,
            worker.sid,
            worker.attributes,
            worker.activity_sid,
            None,
            None,
            reservation.sid,
            reservation.status,
        )

    @staticmethod
    def _worker_event(event_type: str, worker: Worker, now: float) -> RoutingEvent:
        return RoutingEvent(
            event_type,
            now,
            _WORKER,
            worker.sid,
            worker_sid=worker.sid,
            worker_attributes=worker.attributes,
            worker_activity_sid=worker.activity_sid,
        )

    def _channel_event(
        self,
        event_type: str,
        worker: Worker,
        channel: WorkerChannel,
        now: float,
        previous_capacity: int | None,
    ) -> RoutingEvent:
        event = self._worker_event(event_type, worker, now)
        event.task_channel_sid = channel.task_channel_sid
        event.data = {
            "task_channel_sid": channel.task_channel_sid,
            "task_channel_unique_name": self._channels[channel.task_channel_sid].unique_name,
            "configured_capacity": channel.configured_capacity,
            "previous_capacity": previous_capacity,
            "available": channel.available,
            "available_capacity_percentage": channel.available_capacity_percentage,
            "assigned_tasks": channel.assigned_tasks,
        }
        return event

    # -- ready workers

    def _is_ready(self, slot: WorkerSlot, channel_sid: str) -> bool:
        """Whether the worker can be offered a task of that channel right now."""
        worker = slot.worker
        if not worker.available:
            return False
        if not self._settings.multi_task_enabled:
            return not slot.reservations
        channel = worker.channels.get(channel_sid)
        return (
            channel is not None
            and channel.available
            and channel.reserved_tasks + channel.assigned_tasks + channel.wrapping_tasks
            < channel.configured_capacity
        )

    def _ready_key(self, worker: Worker, channel_sid: str) -> tuple[float, float]:
        """Longest idle first; with channel-optimized routing, least busy on the channel first."""
        if self._channels[channel_sid].channel_optimized_routing:
            channel = worker.channels[channel_sid]
            return (float(channel.occupied), channel.idle_since)
        return (worker.idle_since, 0.0)

    def _refresh(self, slot: WorkerSlot, force: bool = False) -> None:
        """Re-index the worker after anything that may change whether, or how early, it should
        be offered a task. ``force`` re-enters it even if its key is unchanged (its entry may
        have just been taken off a line)."""
        entries = slot.ready_entries
        worker = slot.worker
        for channel_sid in self._routed_channels:
            current = entries.get(channel_sid)
            if not self._is_ready(slot, channel_sid):
                if current is not None:
                    current[LIVE] = False
                    entries[channel_sid] = None
                continue
            first, second = self._ready_key(worker, channel_sid)
            if current is not None:
                if not force and current[0] == first and current[1] == second:
                    continue
                current[LIVE] = False
            self._sequence += 1
            entry = [first, second, worker.sid, self._sequence, slot, True]
            entries[channel_sid] = entry
            lines = slot.ready_lines.get(channel_sid)
            if lines is None:
                lines = slot.ready_lines[channel_sid] = [
                    line
                    for state in slot.queues.values()
                    if (line := state.ready.get(channel_sid)) is not None
                ]
            for line in lines:
                # ReadyLine.push, inlined for its common case: this runs for every queue of
                # every worker who becomes free.
                if first > line.last:
                    line_entries = line.entries
                    line_entries.append(entry)
                    line.last = first
                    if len(line_entries) - line.head > line.limit:
                        line.compact()
                else:
                    line.push(entry)

    def _ready_line(self, state: QueueState, channel_sid: str) -> ReadyLine:
        """The queue's ready line for a channel, started the first time a task needs it."""
        line = state.ready.get(channel_sid)
        if line is not None:
            return line
        self._routed_channels[channel_sid] = None
        entries = []
        for slot in state.members.values():
            slot.ready_lines.pop(channel_sid, None)
            if not self._is_ready(slot, channel_sid):
                continue
            entry = slot.ready_entries.get(channel_sid)
            if entry is None:
                first, second = self._ready_key(slot.worker, channel_sid)
                self._sequence += 1
                entry = [first, second, slot.worker.sid, self._sequence, slot, True]
                slot.ready_entries[channel_sid] = entry
                for other in slot.queues.values():
                    other_line = other.ready.get(channel_sid)
                    if other_line is not None:
                        other_line.push(entry)
            entries.append(entry)
        return state.start_line(channel_sid, entries)

    def _set_queues(self, slot: WorkerSlot, queues: dict[str, QueueState]) -> None:
        """Change the worker's queues and index it afresh in them."""
        sid = slot.worker.sid
        for qsid, state in slot.queues.items():
            if qsid not in queues:
                state.remove_member(sid)
        for qsid, state in queues.items():
            if qsid not in slot.queues:
                state.add_member(slot)
        slot.queues = queues
        slot.ready_lines.clear()
        self._refresh(slot, force=True)
        self._dirty_workers[sid] = slot

    def _change_activity(
        self, slot: WorkerSlot, activity: Activity, now: float, events: list[RoutingEvent]
    ) -> None:
        worker = slot.worker
        previous = worker.activity_sid
        if previous == activity.sid:
            return
        became_available = activity.available and not worker.available
        elapsed = now - worker.activity_changed_at
        worker.activity_sid = activity.sid
        worker.available = activity.available
        worker.activity_changed_at = now
        if became_available:
            worker.idle_since = now
        self._changed_workers.add(worker.sid)
        event = self._worker_event(_WORKER_ACTIVITY_UPDATE, worker, now)
        event.worker_previous_activity_sid = previous
        event.worker_time_in_previous_activity = elapsed
        events.append(event)
        self._refresh(slot)
        if worker.available:
            self._dirty_workers[worker.sid] = slot

    # -- waiting tasks

    def _enqueue(self, slot: TaskSlot) -> None:
        task = slot.task
        state = self._queues[task.queue_sid]  # type: ignore[index]
        channel_sid = task.task_channel_sid
        waiting = state.waiting.get(channel_sid)
        if waiting is None:
            waiting = state.waiting[channel_sid] = WaitingTasks()
        order = state.queue.task_order
        rank = 0 if order == self._settings.prioritize_queue_order else 1
        self._sequence += 1
        entry: WaitingEntry
        if order is _LIFO:
            # TaskRouter's LIFO ignores priority: the newest task goes first.
            entry = (rank, 0.0, -task.virtual_start_time, -self._sequence, slot)
        else:
            entry = (rank, float(-task.priority), task.virtual_start_time, self._sequence, slot)
        slot.queued = entry
        slot.queued_in = waiting
        assert slot.target is not None
        waiting.push(entry, slot.target.restricted)
        self._waiting_by_channel[channel_sid] = self._waiting_by_channel.get(channel_sid, 0) + 1
        self._waiting_total += 1

    def _dequeue(self, slot: TaskSlot) -> None:
        waiting = slot.queued_in
        if waiting is None:
            return
        slot.queued = None
        slot.queued_in = None
        self._waiting_by_channel[slot.task.task_channel_sid] -= 1
        self._waiting_total -= 1
        waiting.discard()

    def _requeue_all(self) -> None:
        """Rebuild every waiting entry (a queue's order or the workspace's preference changed)."""
        for slot in self._task_slots.values():
            if slot.queued is not None:
                self._dequeue(slot)
                self._enqueue(slot)

    def _mark_dirty(self, slot: TaskSlot, may_skip: bool) -> None:
        slot.may_skip = slot.may_skip or may_skip
        if not slot.dirty:
            slot.dirty = True
            self._dirty_tasks.append(slot)
