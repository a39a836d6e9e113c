"""The engine's indexes: who may work each queue, who is ready now, which tasks wait where.

Matching must not scan every worker per task nor every task per worker, so each queue keeps:

* ``members``: the workers its ``target_workers`` expression selects (recomputed when worker
  attributes or the expression change);
* ``ready[channel]``: a heap of members able to take a task of that channel now, longest idle
  first;
* ``waiting[channel]``: the tasks waiting in the queue, in assignment order.

Heaps are never searched for removals. An entry is current only while its owner still points
at that very tuple (``WorkerSlot.ready_entries[channel]`` / ``TaskSlot.queued``); anything else
is a leftover, dropped when it reaches the top or when the heap is rebuilt because leftovers
outnumber live entries.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from atende.routing.model import Reservation, Task, TaskQueue, Worker

if TYPE_CHECKING:
    from atende.routing.expression import Expression
    from atende.routing.timers import Timer
    from atende.routing.workflow import WorkflowConfiguration, WorkflowTarget

HEAP_SLACK = 32
"""Leftover entries tolerated in a heap before it is rebuilt."""

ReadyEntry = tuple[float, float, str, "WorkerSlot"]
"""(primary key, secondary key, worker SID, slot): smallest is the worker to reserve first."""

WaitingEntry = tuple[int, float, float, int, "TaskSlot"]
"""(queue-order rank, key, key, sequence, slot): smallest is the task to assign first."""


class WorkerSlot:
    """A worker plus what the engine indexes about it."""

    __slots__ = ("queues", "ready_entries", "ready_heaps", "reservations", "worker")

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.queues: dict[str, QueueState] = {}
        self.ready_entries: dict[str, ReadyEntry | None] = {}
        """The worker's current entry per channel (None when not ready for it)."""
        self.ready_heaps: dict[str, list[tuple[list[ReadyEntry], QueueState]]] = {}
        """Per channel, the ready heaps of the worker's queues (a cache: cleared whenever the
        worker's queues change or one of them gets a heap for a new channel)."""
        self.reservations: dict[str, Reservation] = {}
        """Reservations occupying the worker (pending, accepted or wrapping)."""


class TaskSlot:
    """A task plus its place in the workflow, its queue entry, timers and reservations."""

    __slots__ = (
        "config",
        "dirty",
        "may_skip",
        "queued",
        "queued_in",
        "reservation_history",
        "reservations",
        "target",
        "target_timer",
        "task",
        "ttl_timer",
    )

    def __init__(self, task: Task, config: WorkflowConfiguration) -> None:
        self.task = task
        self.config = config
        """The configuration the task is routed by: a workflow update only applies to tasks
        that are re-evaluated, as in TaskRouter."""
        self.target: WorkflowTarget | None = None
        self.queued: WaitingEntry | None = None
        self.queued_in: WaitingTasks | None = None
        self.reservations: list[Reservation] = []
        """Active reservations (pending, accepted or wrapping)."""
        self.reservation_history: list[str] = []
        self.ttl_timer: Timer | None = None
        self.target_timer: Timer | None = None
        self.dirty = False
        self.may_skip = False


class WaitingTasks:
    """Tasks of one channel waiting in one queue.

    Tasks whose routing step admits only some workers (a target expression or a known worker)
    are kept apart: a worker looking for work takes the best unrestricted task at a glance and
    only walks the restricted ones.
    """

    __slots__ = ("count", "open", "restricted")

    def __init__(self) -> None:
        self.open: list[WaitingEntry] = []
        self.restricted: list[WaitingEntry] = []
        self.count = 0

    def push(self, entry: WaitingEntry, restricted: bool) -> None:
        heapq.heappush(self.restricted if restricted else self.open, entry)
        self.count += 1

    def discard(self) -> None:
        """One task left; rebuild the heaps once leftovers dominate."""
        self.count -= 1
        if len(self.open) + len(self.restricted) > 2 * self.count + HEAP_SLACK:
            self.open = _live_waiting(self.open)
            self.restricted = _live_waiting(self.restricted)

    def best_open(self) -> WaitingEntry | None:
        heap = self.open
        while heap:
            entry = heap[0]
            if entry[4].queued is entry:
                return entry
            heapq.heappop(heap)
        return None

    def restricted_in_order(self) -> list[WaitingEntry]:
        return sorted(entry for entry in self.restricted if entry[4].queued is entry)

    def all_in_order(self) -> list[WaitingEntry]:
        return sorted(entry for entry in (*self.open, *self.restricted) if entry[4].queued is entry)


def _live_waiting(heap: list[WaitingEntry]) -> list[WaitingEntry]:
    live = [entry for entry in heap if entry[4].queued is entry]
    heapq.heapify(live)
    return live


class QueueState:
    __slots__ = ("members", "queue", "ready", "ready_limit", "target_workers", "waiting")

    def __init__(self, queue: TaskQueue, target_workers: Expression) -> None:
        self.queue = queue
        self.target_workers = target_workers
        self.members: dict[str, WorkerSlot] = {}
        self.ready: dict[str, list[ReadyEntry]] = {}
        self.ready_limit = HEAP_SLACK
        """Size beyond which a ready heap holds mostly leftovers and is rebuilt."""
        self.waiting: dict[str, WaitingTasks] = {}

    def admits(self, worker: Worker) -> bool:
        expression = self.target_workers
        if expression.is_wildcard:
            return True
        attributes = worker.attributes
        return expression.matches(attributes, {"worker": attributes})

    def add_member(self, slot: WorkerSlot) -> None:
        self.members[slot.worker.sid] = slot
        self.ready_limit = 2 * len(self.members) + HEAP_SLACK

    def remove_member(self, sid: str) -> None:
        del self.members[sid]
        self.ready_limit = 2 * len(self.members) + HEAP_SLACK

    def compact_ready(self, channel_sid: str) -> None:
        """Drop leftovers, in place: workers cache the heap lists themselves."""
        live = [
            entry
            for slot in self.members.values()
            if (entry := slot.ready_entries.get(channel_sid)) is not None
        ]
        heapq.heapify(live)
        self.ready[channel_sid][:] = live

    def pop_ready(self, channel_sid: str) -> WorkerSlot | None:
        """Remove and return the member to reserve first for a task of that channel."""
        heap = self.ready[channel_sid]
        while heap:
            entry = heapq.heappop(heap)
            slot = entry[3]
            if slot.ready_entries.get(channel_sid) is entry:
                return slot
        return None
