"""Handing state to storage and taking it back after a restart (sixth layer of the engine)."""

from __future__ import annotations

import copy
import dataclasses

from atende.routing.deadlines import Deadlines
from atende.routing.errors import RoutingError
from atende.routing.events import RoutingEvent
from atende.routing.expression import compile_expression
from atende.routing.model import (
    ACTIVE_RESERVATION_STATUSES,
    TERMINAL_TASK_STATUSES,
    WAITING_TASK_STATUSES,
    Reservation,
    ReservationStatus,
    TaskStatus,
    Worker,
    WorkerChannel,
)
from atende.routing.pools import QueueState, TaskSlot, WorkerSlot
from atende.routing.state import RoutingChanges, RoutingSnapshot
from atende.routing.timers import TimerKind


class Persistence(Deadlines):
    def drain_changes(self) -> RoutingChanges:
        """SIDs changed since the last drain, so the caller persists exactly those.

        Completed and canceled tasks (and their reservations) stay readable until the next
        drain; then the engine forgets them, which keeps its memory bounded.
        """
        changed_tasks = self._changed_tasks
        changes = RoutingChanges(changed_tasks, self._changed_reservations, self._changed_workers)
        retiring = self._ended
        slots = self._task_slots
        for sid in self._retiring:
            if sid in slots:
                if sid in changed_tasks:
                    retiring.append(sid)  # reported again now: forget it next time
                else:
                    self._forget_task(sid)
        self._retiring = retiring
        self._ended = []
        self._changed_tasks = set()
        self._changed_reservations = set()
        self._changed_workers = set()
        return changes

    def snapshot(self) -> RoutingSnapshot:
        """A deep copy of the live state, in the form :meth:`restore` takes."""
        tasks = [
            copy.deepcopy(slot.task)
            for slot in self._task_slots.values()
            if slot.task.assignment_status not in TERMINAL_TASK_STATUSES
        ]
        live = {task.sid for task in tasks}
        return RoutingSnapshot(
            settings=dataclasses.replace(self._settings),
            activities=[dataclasses.replace(activity) for activity in self._activities.values()],
            task_channels=[dataclasses.replace(channel) for channel in self._channels.values()],
            task_queues=[dataclasses.replace(queue) for queue in self._task_queues.values()],
            workflows=[dataclasses.replace(workflow) for workflow in self._workflows.values()],
            workers=[copy.deepcopy(worker) for worker in self._workers.values()],
            tasks=tasks,
            reservations=[
                dataclasses.replace(reservation)
                for reservation in self._reservations.values()
                if reservation.task_sid in live
            ],
        )

    def restore(self, snapshot: RoutingSnapshot) -> list[RoutingEvent]:
        """Load persisted state into this empty engine, taking ownership of the objects.

        Timers are re-armed from the persisted instants (reservation ``timeout_at``, task
        ``target_deadline``, ``created_at + timeout``), so whatever fell due while the process
        was down fires now, in deadline order, and the rest fires on time. Capacity counts are
        recomputed from the reservations. Returns the events of that catch-up.
        """
        if self._workers or self._task_slots or self._queues:
            raise RoutingError("restore needs an empty engine")
        self._settings = snapshot.settings
        for activity in snapshot.activities:
            self._activities[activity.sid] = activity
        for channel in snapshot.task_channels:
            self._channels[channel.sid] = channel
            self._channel_by_name[channel.unique_name] = channel.sid
        for queue in snapshot.task_queues:
            self._queues[queue.sid] = QueueState(queue, compile_expression(queue.target_workers))
            self._task_queues[queue.sid] = queue
        for workflow in snapshot.workflows:
            self._workflows[workflow.sid] = workflow
        for worker in snapshot.workers:
            self._restore_worker(worker)
        for task in snapshot.tasks:
            if task.assignment_status not in TERMINAL_TASK_STATUSES:
                self._task_slots[task.sid] = TaskSlot(task, self._routing_configuration(task))
                self._tasks[task.sid] = task
        for reservation in snapshot.reservations:
            self._restore_reservation(reservation)
        now = self._clock()
        events: list[RoutingEvent] = []
        for slot in list(self._task_slots.values()):
            self._resume_task(slot, now, events)
        for worker_slot in self._worker_slots.values():
            self._dirty_workers[worker_slot.worker.sid] = worker_slot
        events.extend(self.advance())
        return events

    def _restore_worker(self, worker: Worker) -> None:
        for channel_sid in self._channels:
            worker.channels.setdefault(
                channel_sid, WorkerChannel(channel_sid, idle_since=worker.idle_since)
            )
        for channel in worker.channels.values():
            channel.reserved_tasks = channel.assigned_tasks = channel.wrapping_tasks = 0
        worker.available = self._activities[worker.activity_sid].available
        slot = WorkerSlot(worker)
        self._worker_slots[worker.sid] = slot
        self._workers[worker.sid] = worker
        self._worker_by_name[worker.friendly_name.lower()] = worker.sid
        for state in self._queues.values():
            if state.admits(worker):
                state.add_member(slot)
                slot.queues[state.queue.sid] = state

    def _restore_reservation(self, reservation: Reservation) -> None:
        slot = self._task_slots.get(reservation.task_sid)
        if slot is None:
            return
        self._reservations[reservation.sid] = reservation
        slot.reservation_history.append(reservation.sid)
        if reservation.status not in ACTIVE_RESERVATION_STATUSES:
            return
        worker_slot = self._worker_slots[reservation.worker_sid]
        channel = worker_slot.worker.channels[reservation.task_channel_sid]
        if reservation.status is ReservationStatus.PENDING:
            channel.reserved_tasks += 1
            self._reservation_timers[reservation.sid] = self._timers.schedule(
                reservation.timeout_at, TimerKind.RESERVATION_TIMEOUT, reservation.sid
            )
        elif reservation.status is ReservationStatus.ACCEPTED:
            channel.assigned_tasks += 1
        else:
            channel.wrapping_tasks += 1
        slot.reservations.append(reservation)
        worker_slot.reservations[reservation.sid] = reservation

    def _resume_task(self, slot: TaskSlot, now: float, events: list[RoutingEvent]) -> None:
        """Re-arm a restored task's timers and put a waiting one back where it stood."""
        task = slot.task
        if task.assignment_status not in WAITING_TASK_STATUSES:
            return
        pending_offers = any(r.status is ReservationStatus.PENDING for r in slot.reservations)
        task.assignment_status = TaskStatus.RESERVED if pending_offers else TaskStatus.PENDING
        slot.ttl_timer = self._timers.schedule(task.ttl_deadline, TimerKind.TASK_TTL, task.sid)
        filter_index = task.filter_index
        if filter_index is None or not slot.config.has_position((filter_index, task.target_index)):
            # Its workflow changed beyond recognition while we were down: route it afresh.
            self._reevaluate(slot, now, events)
            return
        slot.target = slot.config.target((filter_index, task.target_index))
        if task.target_deadline is not None:
            slot.target_timer = self._timers.schedule(
                task.target_deadline, TimerKind.TARGET_TIMEOUT, task.sid
            )
        if task.assignment_status is TaskStatus.PENDING:
            self._mark_dirty(slot, may_skip=False)
