"""Reservations and the task lifecycle they drive (second layer of the engine).

A reservation is an offer of a task to a worker. It occupies one unit of the worker's capacity
on the task's channel from the moment it is created until it ends: unaccepted (rejected, timed
out, canceled, rescinded) or, once accepted, when its task completes.
"""

from __future__ import annotations

from atende.routing.core import EngineCore
from atende.routing.events import EventType, RoutingEvent
from atende.routing.model import Activity, Reservation, ReservationStatus, TaskStatus
from atende.routing.pools import QueueState, TaskSlot, WorkerSlot
from atende.routing.timers import TimerKind

_R_PENDING = ReservationStatus.PENDING
_R_ACCEPTED = ReservationStatus.ACCEPTED

_END_EVENTS = {
    ReservationStatus.REJECTED: EventType.RESERVATION_REJECTED,
    ReservationStatus.TIMEOUT: EventType.RESERVATION_TIMEOUT,
    ReservationStatus.CANCELED: EventType.RESERVATION_CANCELED,
    ReservationStatus.RESCINDED: EventType.RESERVATION_RESCINDED,
}

# Enum members bound once: reading one off its enum class costs ~150 ns on Python 3.11,
# and an assignment reads dozens.
_RESERVATION_ACCEPTED = EventType.RESERVATION_ACCEPTED
_RESERVATION_COMPLETED = EventType.RESERVATION_COMPLETED
_RESERVATION_CREATED = EventType.RESERVATION_CREATED
_RESERVATION_WRAPUP = EventType.RESERVATION_WRAPUP
_TASK_CANCELED = EventType.TASK_CANCELED
_TASK_COMPLETED = EventType.TASK_COMPLETED
_TASK_WRAPUP = EventType.TASK_WRAPUP
_R_CANCELED = ReservationStatus.CANCELED
_R_COMPLETED = ReservationStatus.COMPLETED
_R_RESCINDED = ReservationStatus.RESCINDED
_R_WRAPPING = ReservationStatus.WRAPPING
_STATUS_ASSIGNED = TaskStatus.ASSIGNED
_STATUS_CANCELED = TaskStatus.CANCELED
_STATUS_COMPLETED = TaskStatus.COMPLETED
_STATUS_WRAPPING = TaskStatus.WRAPPING
_TIMER_RESERVATION_TIMEOUT = TimerKind.RESERVATION_TIMEOUT


class OfferLifecycle(EngineCore):
    def _reserve(
        self,
        slot: TaskSlot,
        worker_slot: WorkerSlot,
        state: QueueState,
        now: float,
        events: list[RoutingEvent],
    ) -> None:
        """Offer the (already reserved) task to one worker."""
        task = slot.task
        worker = worker_slot.worker
        channel_sid = task.task_channel_sid
        timeout_at = now + self._workflows[task.workflow_sid].task_reservation_timeout
        rsid = self._new_sid("WR")
        reservation = Reservation(
            rsid,
            task.sid,
            worker.sid,
            state.queue.sid,
            task.workflow_sid,
            channel_sid,
            now,
            timeout_at,
            _R_PENDING,
            now,
        )
        self._reservations[rsid] = reservation
        slot.reservations.append(reservation)
        slot.reservation_history.append(rsid)
        worker_slot.reservations[rsid] = reservation
        channel = worker.channels[channel_sid]
        channel.reserved_tasks += 1
        channel.idle_since = now
        worker.idle_since = now
        self._reservation_timers[rsid] = self._timers.schedule(
            timeout_at, _TIMER_RESERVATION_TIMEOUT, rsid
        )
        self._changed_tasks.add(task.sid)
        self._changed_reservations.add(rsid)
        self._changed_workers.add(worker.sid)
        events.append(self._reservation_event(_RESERVATION_CREATED, reservation, task, worker, now))
        activity_sid = state.queue.reservation_activity_sid
        if (
            activity_sid is not None
            and activity_sid != worker.activity_sid
            and not self._settings.multi_task_enabled
        ):
            reservation.previous_activity_sid = worker.activity_sid
            self._change_activity(worker_slot, self._activities[activity_sid], now, events)
        self._refresh(worker_slot, force=True)

    def _accept(self, reservation: Reservation, now: float, events: list[RoutingEvent]) -> None:
        slot = self._task_slots[reservation.task_sid]
        task = slot.task
        worker_slot = self._worker_slots[reservation.worker_sid]
        worker = worker_slot.worker
        channel = worker.channels[reservation.task_channel_sid]
        channel.reserved_tasks -= 1
        channel.assigned_tasks += 1
        reservation.status = _R_ACCEPTED
        reservation.updated_at = now
        task.assignment_status = _STATUS_ASSIGNED
        task.updated_at = now
        cancel = self._timers.cancel
        cancel(self._reservation_timers.pop(reservation.sid, None))
        cancel(slot.ttl_timer)
        cancel(slot.target_timer)
        slot.ttl_timer = slot.target_timer = None
        self._changed_tasks.add(task.sid)
        self._changed_reservations.add(reservation.sid)
        self._changed_workers.add(worker.sid)
        events.append(
            self._reservation_event(_RESERVATION_ACCEPTED, reservation, task, worker, now)
        )
        if len(slot.reservations) > 1:
            for other in list(slot.reservations):
                if other is not reservation:
                    self._end_offer(other, _R_RESCINDED, now, events)
        if not self._settings.multi_task_enabled:
            queue = self._task_queues.get(reservation.queue_sid)
            if queue is not None and queue.assignment_activity_sid:
                activity = self._activities[queue.assignment_activity_sid]
                self._change_activity(worker_slot, activity, now, events)

    def _end_offer(
        self,
        reservation: Reservation,
        status: ReservationStatus,
        now: float,
        events: list[RoutingEvent],
        activity: Activity | None = None,
    ) -> None:
        """End a reservation without (further) work: rejected, timed out, canceled or
        rescinded, or an accepted one whose task is deleted. The worker moves to ``activity``
        if given, else back from the queue's reservation activity."""
        rsid = reservation.sid
        worker_slot = self._worker_slots[reservation.worker_sid]
        worker = worker_slot.worker
        slot = self._task_slots[reservation.task_sid]
        channel = worker.channels[reservation.task_channel_sid]
        if reservation.status is _R_PENDING:
            channel.reserved_tasks -= 1
        elif reservation.status is _R_ACCEPTED:
            channel.assigned_tasks -= 1
        else:
            channel.wrapping_tasks -= 1
        reservation.status = status
        reservation.updated_at = now
        del worker_slot.reservations[rsid]
        slot.reservations.remove(reservation)
        self._timers.cancel(self._reservation_timers.pop(rsid, None))
        self._changed_reservations.add(rsid)
        self._changed_workers.add(worker.sid)
        events.append(
            self._reservation_event(_END_EVENTS[status], reservation, slot.task, worker, now)
        )
        if activity is None and reservation.previous_activity_sid is not None:
            queue = self._task_queues.get(reservation.queue_sid)
            if queue is not None and worker.activity_sid == queue.reservation_activity_sid:
                activity = self._activities.get(reservation.previous_activity_sid)
        if activity is not None:
            self._change_activity(worker_slot, activity, now, events)
        self._refresh(worker_slot)
        self._dirty_workers[worker.sid] = worker_slot

    def _cancel_task(
        self, slot: TaskSlot, reason: str | None, now: float, events: list[RoutingEvent]
    ) -> None:
        task = slot.task
        for reservation in list(slot.reservations):
            self._end_offer(reservation, _R_CANCELED, now, events)
        self._dequeue(slot)
        self._cancel_timers(slot)
        task.assignment_status = _STATUS_CANCELED
        task.reason = reason
        task.updated_at = now
        self._changed_tasks.add(task.sid)
        self._ended.append(task.sid)
        events.append(self._task_event(_TASK_CANCELED, task, now))

    def _wrap_task(
        self, slot: TaskSlot, reason: str | None, now: float, events: list[RoutingEvent]
    ) -> None:
        task = slot.task
        reservation = slot.reservations[0]
        worker = self._workers[reservation.worker_sid]
        channel = worker.channels[reservation.task_channel_sid]
        channel.assigned_tasks -= 1
        channel.wrapping_tasks += 1
        task.assignment_status = _STATUS_WRAPPING
        task.reason = reason
        task.updated_at = now
        reservation.status = _R_WRAPPING
        reservation.updated_at = now
        self._changed_tasks.add(task.sid)
        self._changed_reservations.add(reservation.sid)
        self._changed_workers.add(worker.sid)
        events.append(self._task_event(_TASK_WRAPUP, task, now))
        events.append(self._reservation_event(_RESERVATION_WRAPUP, reservation, task, worker, now))

    def _complete_task(
        self, slot: TaskSlot, reason: str | None, now: float, events: list[RoutingEvent]
    ) -> None:
        """Complete an assigned or wrapping task; the worker's capacity is free again."""
        task = slot.task
        reservation = slot.reservations.pop()
        worker_slot = self._worker_slots[reservation.worker_sid]
        worker = worker_slot.worker
        channel = worker.channels[reservation.task_channel_sid]
        if reservation.status is _R_ACCEPTED:
            channel.assigned_tasks -= 1
        else:
            channel.wrapping_tasks -= 1
        channel.idle_since = now
        worker.idle_since = now
        del worker_slot.reservations[reservation.sid]
        task.assignment_status = _STATUS_COMPLETED
        task.reason = reason
        task.updated_at = now
        reservation.status = _R_COMPLETED
        reservation.updated_at = now
        self._changed_tasks.add(task.sid)
        self._ended.append(task.sid)
        self._changed_reservations.add(reservation.sid)
        self._changed_workers.add(worker.sid)
        events.append(self._task_event(_TASK_COMPLETED, task, now))
        events.append(
            self._reservation_event(_RESERVATION_COMPLETED, reservation, task, worker, now)
        )
        self._refresh(worker_slot)
        self._dirty_workers[worker.sid] = worker_slot

    def _cancel_timers(self, slot: TaskSlot) -> None:
        cancel = self._timers.cancel
        cancel(slot.ttl_timer)
        cancel(slot.target_timer)
        slot.ttl_timer = slot.target_timer = None

    def _forget_task(self, sid: str) -> None:
        slot = self._task_slots.pop(sid)
        del self._tasks[sid]
        for rsid in slot.reservation_history:
            self._reservations.pop(rsid, None)
