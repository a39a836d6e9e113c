"""Moving a task through its workflow's routing steps (third layer of the engine).

Target timeouts are measured against the task's age, as TaskRouter does: a task entering its
second step at age 10 with timeouts of 10 and 10 leaves it at age 20, and a task routed again
(its attributes changed) at age 25 starts past both. ``Task.target_timeout_base`` is the instant
the current step's timeout counts from; a timeout moves it forward, a skip does not.
"""

from __future__ import annotations

from atende.routing.events import EventType, RoutingEvent
from atende.routing.model import (
    WORKER_PREFIX,
    WORKFLOW_PREFIX,
    ReservationStatus,
    Task,
    TaskStatus,
)
from atende.routing.offers import OfferLifecycle
from atende.routing.pools import TaskSlot
from atende.routing.timers import TimerKind
from atende.routing.workflow import (
    Position,
    WorkflowConfiguration,
    WorkflowTarget,
    direct_configuration,
)

WORKFLOW_TIMEOUT_REASON = "Workflow Timeout"
WORKFLOW_SKIPPED_REASON = "Workflow Skipped"

_STATUS_RESERVED = TaskStatus.RESERVED

# Enum members bound once: reading one off its enum class costs ~150 ns on Python 3.11,
# and an assignment reads dozens.
_TASK_QUEUE_ENTERED = EventType.TASK_QUEUE_ENTERED
_TASK_QUEUE_MOVED = EventType.TASK_QUEUE_MOVED
_TASK_QUEUE_TIMEOUT = EventType.TASK_QUEUE_TIMEOUT
_WORKFLOW_SKIPPED = EventType.WORKFLOW_SKIPPED
_WORKFLOW_TARGET_MATCHED = EventType.WORKFLOW_TARGET_MATCHED
_WORKFLOW_TIMEOUT = EventType.WORKFLOW_TIMEOUT
_R_CANCELED = ReservationStatus.CANCELED
_STATUS_PENDING = TaskStatus.PENDING
_TIMER_TARGET_TIMEOUT = TimerKind.TARGET_TIMEOUT


class WorkflowWalk(OfferLifecycle):
    def _enter_workflow(self, slot: TaskSlot, now: float, events: list[RoutingEvent]) -> None:
        """Route from the top: the first matching filter, else the default filter."""
        position = slot.config.entry_position(slot.task.attributes)
        if position is None:
            self._leave_workflow(slot, _WORKFLOW_TIMEOUT, WORKFLOW_TIMEOUT_REASON, now, events)
            return
        self._enter(slot, position, slot.task.created_at, now, events, _TASK_QUEUE_MOVED)

    def _enter(
        self,
        slot: TaskSlot,
        position: Position,
        base: float,
        now: float,
        events: list[RoutingEvent],
        leave_event: EventType,
    ) -> None:
        """Put the task at ``position``, walking past steps whose timeout (counted from
        ``base``) already passed; ``leave_event`` is emitted if it leaves its queue."""
        task = slot.task
        config = slot.config
        while True:
            target = config.target(position)
            deadline = None if target.timeout is None else base + target.timeout
            if deadline is None or deadline > now:
                break
            following = config.after_timeout(position, task.attributes)
            if following is None:
                self._leave_queue(slot, _TASK_QUEUE_TIMEOUT, now, events)
                self._leave_workflow(slot, _WORKFLOW_TIMEOUT, WORKFLOW_TIMEOUT_REASON, now, events)
                return
            base = deadline
            position = following
        queue_sid = target.queue_sid
        moving = task.queue_sid != queue_sid
        if moving:
            self._leave_queue(slot, leave_event, now, events)
            task.queue_sid = queue_sid
            task.queue_entered_at = now
        task.filter_index, task.target_index = position
        task.target_timeout_base = base
        task.target_deadline = deadline
        task.target_entered_at = now
        task.updated_at = now
        slot.target = target
        if target.priority is not None:
            task.priority = target.priority
        self._changed_tasks.add(task.sid)
        matched = self._task_event(_WORKFLOW_TARGET_MATCHED, task, now)
        matched.data = target.match_data
        events.append(matched)
        if moving:
            events.append(self._task_event(_TASK_QUEUE_ENTERED, task, now))
        timers = self._timers
        if slot.target_timer is not None:
            timers.cancel(slot.target_timer)
        slot.target_timer = (
            None if deadline is None else timers.schedule(deadline, _TIMER_TARGET_TIMEOUT, task.sid)
        )
        self._mark_dirty(slot, may_skip=True)

    def _leave_queue(
        self, slot: TaskSlot, event_type: EventType, now: float, events: list[RoutingEvent]
    ) -> None:
        if slot.task.queue_sid is not None:
            events.append(self._task_event(event_type, slot.task, now))

    def _leave_workflow(
        self,
        slot: TaskSlot,
        event_type: EventType,
        reason: str,
        now: float,
        events: list[RoutingEvent],
    ) -> None:
        """The task ran out of routing steps: TaskRouter cancels it."""
        events.append(self._task_event(event_type, slot.task, now))
        self._cancel_task(slot, reason, now, events)

    def _time_out_target(self, slot: TaskSlot, now: float, events: list[RoutingEvent]) -> None:
        task = slot.task
        position = _position(slot)
        deadline = task.target_deadline
        assert deadline is not None
        following = slot.config.after_timeout(position, task.attributes)
        if following is None:
            self._leave_queue(slot, _TASK_QUEUE_TIMEOUT, now, events)
            self._leave_workflow(slot, _WORKFLOW_TIMEOUT, WORKFLOW_TIMEOUT_REASON, now, events)
            return
        self._enter(slot, following, deadline, now, events, _TASK_QUEUE_TIMEOUT)

    def _skip_target(self, slot: TaskSlot, now: float, events: list[RoutingEvent]) -> bool:
        """Leave the current step because its ``skip_if`` holds; False if that took the task
        out of the workflow."""
        task = slot.task
        following = slot.config.after_skip(_position(slot), task.attributes)
        if following is None:
            self._leave_workflow(slot, _WORKFLOW_SKIPPED, WORKFLOW_SKIPPED_REASON, now, events)
            return False
        self._enter(slot, following, task.target_timeout_base, now, events, _TASK_QUEUE_MOVED)
        return True

    def _skip_applies(self, slot: TaskSlot, target: WorkflowTarget) -> bool:
        """Evaluate ``skip_if`` with TaskRouter's ``workers.*`` counts of the step's queue."""
        skip_if = target.skip_if
        assert skip_if is not None
        if skip_if.is_wildcard:
            return True
        counts = dict.fromkeys(self._activities, 0)
        counts["available"] = counts["unavailable"] = 0
        for member in self._queues[target.queue_sid].members.values():
            worker = member.worker
            counts["available" if worker.available else "unavailable"] += 1
            counts[worker.activity_sid] += 1
        return skip_if.matches({}, {"workers": counts, "task": slot.task.attributes})

    def _reevaluate(self, slot: TaskSlot, now: float, events: list[RoutingEvent]) -> None:
        """Route a waiting task again from the top (its attributes or its workflow changed);
        outstanding offers are canceled."""
        task = slot.task
        for reservation in list(slot.reservations):
            self._end_offer(reservation, _R_CANCELED, now, events)
        task.assignment_status = _STATUS_PENDING
        self._dequeue(slot)
        slot.config = self._routing_configuration(task)
        self._enter_workflow(slot, now, events)

    def _routing_configuration(self, task: Task) -> WorkflowConfiguration:
        """The rules the task is routed by: its workflow's, unless its ``routing_target``
        sends it straight to a queue or a worker (that worker's task waits in ``queue_sid``)."""
        target = task.routing_target
        if target is None or target.startswith(WORKFLOW_PREFIX):
            return self._workflows[task.workflow_sid].configuration
        if target.startswith(WORKER_PREFIX):
            assert task.queue_sid is not None, "a task routed to a worker entered a queue"
            return direct_configuration(task.queue_sid, target)
        return direct_configuration(target, None)

    def _after_offer_ended(self, slot: TaskSlot, now: float, events: list[RoutingEvent]) -> None:
        """Once every offer of a reserved task ended unaccepted, the task waits in its step
        again, or moves on if the step timed out meanwhile."""
        task = slot.task
        if task.assignment_status is not _STATUS_RESERVED or slot.reservations:
            return
        task.assignment_status = _STATUS_PENDING
        task.updated_at = now
        self._changed_tasks.add(task.sid)
        if task.target_deadline is not None and task.target_deadline <= now:
            self._time_out_target(slot, now, events)
        else:
            self._mark_dirty(slot, may_skip=True)


def _position(slot: TaskSlot) -> Position:
    filter_index = slot.task.filter_index
    assert filter_index is not None
    return (filter_index, slot.task.target_index)
