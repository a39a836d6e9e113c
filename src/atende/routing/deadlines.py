"""Firing deadlines (fifth layer of the engine): reservation timeouts, step timeouts, TTLs."""

from __future__ import annotations

from atende.routing.events import RoutingEvent
from atende.routing.matching import Matcher
from atende.routing.model import WAITING_TASK_STATUSES, ReservationStatus, TaskStatus
from atende.routing.timers import TimerKind

TTL_REASON = "Task TTL Exceeded"

# Enum members bound once: reading one off its enum class costs ~150 ns on Python 3.11,
# and an assignment reads dozens.
_R_TIMEOUT = ReservationStatus.TIMEOUT
_STATUS_PENDING = TaskStatus.PENDING
_TIMER_RESERVATION_TIMEOUT = TimerKind.RESERVATION_TIMEOUT
_TIMER_TARGET_TIMEOUT = TimerKind.TARGET_TIMEOUT


class Deadlines(Matcher):
    def advance(self) -> list[RoutingEvent]:
        """Fire every deadline due by now, in deadline order, and route what they freed.

        Commands never fire deadlines themselves: call this whenever :meth:`next_deadline`
        is reached (the server's timer loop, the simulator's event loop).
        """
        now = self._clock()
        events: list[RoutingEvent] = []
        timers = self._timers
        while (due := timers.pop_due(now)) is not None:
            kind, sid = due
            if kind is _TIMER_RESERVATION_TIMEOUT:
                self._reservation_timed_out(sid, now, events)
            elif kind is _TIMER_TARGET_TIMEOUT:
                self._target_timed_out(sid, now, events)
            else:
                self._ttl_expired(sid, now, events)
            self._flush(now, events)
        self._flush(now, events)
        return events

    def next_deadline(self) -> float | None:
        """When :meth:`advance` next has something to do (None: nothing scheduled)."""
        return self._timers.next_deadline()

    def _reservation_timed_out(self, sid: str, now: float, events: list[RoutingEvent]) -> None:
        """TaskRouter moves the worker to the workspace's timeout activity and the task back to
        its step."""
        self._reservation_timers.pop(sid, None)
        reservation = self._reservations[sid]
        timeout_sid = self._settings.timeout_activity_sid
        activity = None if timeout_sid is None else self._activities.get(timeout_sid)
        self._end_offer(reservation, _R_TIMEOUT, now, events, activity=activity)
        self._after_offer_ended(self._task_slots[reservation.task_sid], now, events)

    def _target_timed_out(self, sid: str, now: float, events: list[RoutingEvent]) -> None:
        slot = self._task_slots[sid]
        slot.target_timer = None
        if slot.task.assignment_status is not _STATUS_PENDING:
            return  # a reserved task checks its step's timeout when its offers end
        self._dequeue(slot)
        self._time_out_target(slot, now, events)

    def _ttl_expired(self, sid: str, now: float, events: list[RoutingEvent]) -> None:
        slot = self._task_slots[sid]
        slot.ttl_timer = None
        if slot.task.assignment_status in WAITING_TASK_STATUSES:
            self._cancel_task(slot, TTL_REASON, now, events)
