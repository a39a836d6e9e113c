"""Who gets what (fourth layer of the engine).

After every command the engine matches whatever the command made possible (:meth:`_flush`):

1. workers who became free take the best task waiting for them, longest idle worker first.
   Tasks that entered a routing step during the command are queued beforehand, so priority
   always wins; such a task goes to the free worker idle the longest, not necessarily to the
   one that found it;
2. tasks that entered a step look for free workers of it; finding none, the step's ``skip_if``
   may move them on ("skip only if no reservation is created immediately").

A task found in (1) may be offered to several workers at once (``max_reserved_workers``) or to a
worker other than the one that found it; a worker who can take a better waiting task is left
out of that offer, so that it takes the better task when its own turn comes.

After (1) no free worker is eligible for any waiting task, which is why (2) can offer a task to
the first free eligible worker without passing over a better task.
"""

from __future__ import annotations

from typing import Any

from atende.routing.events import RoutingEvent
from atende.routing.model import TaskStatus, Worker
from atende.routing.pools import SLOT, QueueState, TaskSlot, WaitingEntry, WorkerSlot
from atende.routing.walk import WorkflowWalk
from atende.routing.workflow import WorkflowTarget

_PENDING = TaskStatus.PENDING
_RESERVED = TaskStatus.RESERVED


class Matcher(WorkflowWalk):
    def _flush(self, now: float, events: list[RoutingEvent]) -> None:
        while self._dirty_workers or self._dirty_tasks:
            if self._dirty_workers:
                if self._dirty_tasks or self._waiting_total:
                    for slot in self._dirty_tasks:
                        if slot.queued is None and slot.task.assignment_status is _PENDING:
                            self._enqueue(slot)
                    workers = sorted(self._dirty_workers.values(), key=_idle_order)
                    self._dirty_workers.clear()
                    for worker_slot in workers:
                        self._offer_work(worker_slot, now, events)
                else:
                    self._dirty_workers.clear()  # nothing waits: nothing to offer
            tasks = self._dirty_tasks
            self._dirty_tasks = []
            if len(tasks) > 1:
                tasks.sort(key=_task_order)
            for slot in tasks:
                # Still marked dirty while being placed, so that a skip to the next step is
                # handled right here instead of being queued again.
                self._place(slot, slot.may_skip, now, events)
                slot.dirty = False
                slot.may_skip = False

    def _place(
        self, slot: TaskSlot, may_skip: bool, now: float, events: list[RoutingEvent]
    ) -> None:
        while slot.task.assignment_status is _PENDING:
            if self._reserve_workers(slot, now, events):
                return
            target = slot.target
            assert target is not None
            if may_skip and target.skip_if is not None and self._skip_applies(slot, target):
                self._dequeue(slot)
                if not self._skip_target(slot, now, events):
                    return
                continue
            if slot.queued is None:
                self._enqueue(slot)
            return

    def _reserve_workers(
        self,
        slot: TaskSlot,
        now: float,
        events: list[RoutingEvent],
        spare_better_off: bool = False,
    ) -> bool:
        """Offer the task to the best free workers of its step; False if there are none.
        ``spare_better_off`` leaves out the workers who can take a better waiting task."""
        task = slot.task
        target = slot.target
        assert target is not None
        state = self._queues[target.queue_sid]
        limit = state.queue.max_reserved_workers
        if target.restricted or target.order_by is not None:
            chosen = self._choose_workers(slot, target, state, limit, spare_better_off)
        else:
            line = state.ready.get(task.task_channel_sid)
            if line is None:
                line = self._ready_line(state, task.task_channel_sid)
            chosen = []
            spared = []
            while len(chosen) < limit:
                entry = line.pop()
                if entry is None:
                    break
                if spare_better_off and self._better_task_waits(entry[SLOT], slot):
                    spared.append(entry)
                else:
                    chosen.append(entry[SLOT])
            for entry in spared:
                line.push(entry)
        if not chosen:
            return False
        if slot.queued_in is not None:
            self._dequeue(slot)
        task.assignment_status = _RESERVED
        task.updated_at = now
        for worker_slot in chosen:
            self._reserve(slot, worker_slot, state, now, events)
        return True

    def _choose_workers(
        self,
        slot: TaskSlot,
        target: WorkflowTarget,
        state: QueueState,
        limit: int,
        spare_better_off: bool,
    ) -> list[WorkerSlot]:
        """The slow path, for steps with an expression, a known worker or an ``order_by``."""
        channel_sid = slot.task.task_channel_sid
        if target.known_worker is not None:
            known = state.members.get(self._known_worker(slot, target) or "")
            if known is not None and slot.task.ignore_capacity and not slot.reservation_history:
                # RoutingTarget with IgnoreCapacity: the first offer reaches the worker whatever
                # its activity and capacity; once refused, the task waits for the worker.
                return [known]
            members = [] if known is None else [known]
        else:
            members = list(state.members.values())
        candidates = []
        for member in members:
            if (
                self._is_ready(member, channel_sid)
                and self._admits(slot, target, member)
                and not (spare_better_off and self._better_task_waits(member, slot))
            ):
                worker = member.worker
                order = (
                    () if target.order_by is None else target.order_by.sort_key(worker.attributes)
                )
                idle = self._ready_key(worker, channel_sid)
                candidates.append((order, idle, worker.sid, member))
        candidates.sort(key=lambda candidate: candidate[:3])
        return [candidate[3] for candidate in candidates[:limit]]

    def _known_worker(self, slot: TaskSlot, target: WorkflowTarget) -> str | None:
        known = target.known_worker
        if known is None:
            return None
        value = known.resolve(slot.task.attributes)
        if value is None or not known.by_friendly_name:
            return value
        return self._worker_by_name.get(value.lower())

    def _admits(self, slot: TaskSlot, target: WorkflowTarget, member: WorkerSlot) -> bool:
        """Whether the step's known worker and target expression let this worker take it."""
        if (
            target.known_worker is not None
            and self._known_worker(slot, target) != member.worker.sid
        ):
            return False
        expression = target.expression
        if expression is None:
            return True
        scope = self._worker_scope(member.worker)
        return expression.matches(scope, {"task": slot.task.attributes, "worker": scope})

    def _worker_scope(self, worker: Worker) -> dict[str, Any]:
        """Worker attributes plus TaskRouter's ``worker.channel.<unique name>.*`` figures."""
        channels = {
            self._channels[sid].unique_name: {
                "configured_capacity": channel.configured_capacity,
                "assigned_tasks": channel.assigned_tasks,
                "available_capacity_percentage": channel.available_capacity_percentage,
                "available": channel.available,
            }
            for sid, channel in worker.channels.items()
        }
        return {**worker.attributes, "channel": channels}

    def _offer_work(self, worker_slot: WorkerSlot, now: float, events: list[RoutingEvent]) -> None:
        """Give a worker who just became free the best waiting tasks it may take.

        A task that only entered its step during this command goes to whichever free worker
        idled longest, which may be another one: it was never offered to the others. Workers
        who can take a better task are left out of that offer, even when they have not had their
        turn yet (they are free only since this command).
        """
        while (entry := self._best_task_for(worker_slot)) is not None:
            slot = entry[4]
            if slot.dirty:
                reserved = self._reserve_workers(slot, now, events, spare_better_off=True)
                assert reserved, "this very worker is free and eligible"
                continue
            task = slot.task
            self._dequeue(slot)
            task.assignment_status = _RESERVED
            task.updated_at = now
            state = self._queues[task.queue_sid]  # type: ignore[index]
            self._reserve(slot, worker_slot, state, now, events)

    def _better_task_waits(self, worker_slot: WorkerSlot, slot: TaskSlot) -> bool:
        """Whether the worker can take a waiting task that goes before this (queued) one.

        With multitasking only the task's channel competes: a task of another channel takes
        capacity the offer leaves untouched.
        """
        channel_sid = slot.task.task_channel_sid if self._settings.multi_task_enabled else None
        best = self._best_task_for(worker_slot, channel_sid)
        queued = slot.queued
        return best is not None and queued is not None and best < queued

    def _best_task_for(
        self, worker_slot: WorkerSlot, only_channel: str | None = None
    ) -> WaitingEntry | None:
        best: WaitingEntry | None = None
        for channel_sid, waiting_count in self._waiting_by_channel.items():
            if (
                not waiting_count
                or (only_channel is not None and channel_sid != only_channel)
                or not self._is_ready(worker_slot, channel_sid)
            ):
                continue
            for state in worker_slot.queues.values():
                waiting = state.waiting.get(channel_sid)
                if waiting is None or not waiting.count:
                    continue
                entry = waiting.best_open()
                if entry is not None and (best is None or entry < best):
                    best = entry
                for candidate in waiting.restricted_in_order():
                    if best is not None and candidate > best:
                        break
                    slot = candidate[4]
                    assert slot.target is not None
                    if self._admits(slot, slot.target, worker_slot):
                        best = candidate
                        break
        return best


def _idle_order(slot: WorkerSlot) -> tuple[float, str]:
    return (slot.worker.idle_since, slot.worker.sid)


def _task_order(slot: TaskSlot) -> tuple[float, float, str]:
    task = slot.task
    return (-task.priority, task.virtual_start_time, task.sid)
