"""The engine's indexes: who may work each queue, who is ready now, which tasks wait where.

Matching must not scan every worker per task nor every task per worker, so each queue keeps:

* ``members``: the workers its ``target_workers`` expression selects (recomputed when worker
  attributes or the expression change);
* ``ready[channel]``: a :class:`ReadyLine` of the members able to take a task of that channel
  now, the one to reserve first at the front;
* ``waiting[channel]``: the tasks waiting in the queue, in assignment order.

None of these is ever searched for removals. An entry is current only while it is marked live
(ready workers) or its task still points at it (``TaskSlot.queued``); anything else is a
leftover, skipped when reached and dropped when leftovers outnumber live entries.
"""

from __future__ import annotations

import bisect
import heapq
from typing import TYPE_CHECKING, Any

from atende.routing.model import Reservation, Task, TaskQueue, Worker

if TYPE_CHECKING:
    from atende.routing.expression import Expression
    from atende.routing.timers import Timer
    from atende.routing.workflow import WorkflowConfiguration, WorkflowTarget

SLACK = 32
"""Leftover entries tolerated beyond twice the live ones before an index is rebuilt."""

ReadyEntry = list[Any]
"""``[primary key, secondary key, worker SID, sequence, slot, live]``: the smallest is the worker
to reserve first. A worker's entry sits in the ready lines of all its queues; ``live`` turns
False (everywhere at once) when the worker is re-indexed or stops being ready."""

SLOT = 4
LIVE = 5

_NEVER = float("-inf")

WaitingEntry = tuple[int, float, float, int, "TaskSlot"]
"""(queue-order rank, key, key, sequence, slot): smallest is the task to assign first."""


class ReadyLine:
    """Ready workers of one queue and channel, sorted, consumed from the front.

    The usual key is the instant the worker last became idle, which is "now" whenever it
    changes, so a worker nearly always joins at the back: an append (checked against ``last``,
    the primary key at the back), and taking the first is moving an index. That is several
    times cheaper than a heap on the hot path; the rare out-of-order key (a worker idle for
    long joining a queue, channel-optimized keys, ties) is inserted in place by :meth:`push`.
    """

    __slots__ = ("entries", "head", "last", "limit")

    def __init__(self, entries: list[ReadyEntry], limit: int) -> None:
        entries.sort()
        self.entries = entries
        self.head = 0
        self.limit = limit
        self.last = entries[-1][0] if entries else _NEVER

    def push(self, entry: ReadyEntry) -> None:
        entries = self.entries
        if len(entries) == self.head or entries[-1] <= entry:
            entries.append(entry)
        else:
            bisect.insort(entries, entry, self.head)
        self.last = entries[-1][0]
        if len(entries) - self.head > self.limit:
            self.compact()

    def pop(self) -> ReadyEntry | None:
        """Remove and return the first live entry."""
        entries = self.entries
        head = self.head
        end = len(entries)
        while head < end:
            entry = entries[head]
            head += 1
            if entry[LIVE]:
                self.head = head
                if head > SLACK and head * 2 > end:
                    del entries[:head]
                    self.head = 0
                return entry
        entries.clear()
        self.head = 0
        self.last = _NEVER
        return None

    def compact(self) -> None:
        live = [entry for entry in self.entries[self.head :] if entry[LIVE]]
        self.entries[:] = live
        self.head = 0
        self.last = live[-1][0] if live else _NEVER


class WorkerSlot:
    """A worker plus what the engine indexes about it."""

    __slots__ = ("queues", "ready_entries", "ready_lines", "reservations", "worker")

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.queues: dict[str, QueueState] = {}
        self.ready_entries: dict[str, ReadyEntry | None] = {}
        """The worker's live entry per channel (None when not ready for it)."""
        self.ready_lines: dict[str, list[ReadyLine]] = {}
        """Per channel, the ready lines of the worker's queues (a cache: cleared whenever the
        worker's queues change or one of them starts a line for a new channel)."""
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
        if len(self.open) + len(self.restricted) > 2 * self.count + SLACK:
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
    __slots__ = ("members", "queue", "ready", "target_workers", "waiting")

    def __init__(self, queue: TaskQueue, target_workers: Expression) -> None:
        self.queue = queue
        self.target_workers = target_workers
        self.members: dict[str, WorkerSlot] = {}
        self.ready: dict[str, ReadyLine] = {}
        self.waiting: dict[str, WaitingTasks] = {}

    def admits(self, worker: Worker) -> bool:
        expression = self.target_workers
        if expression.is_wildcard:
            return True
        attributes = worker.attributes
        return expression.matches(attributes, {"worker": attributes})

    def add_member(self, slot: WorkerSlot) -> None:
        self.members[slot.worker.sid] = slot
        self._resize()

    def remove_member(self, sid: str) -> None:
        del self.members[sid]
        self._resize()

    def _resize(self) -> None:
        limit = 2 * len(self.members) + SLACK
        for line in self.ready.values():
            line.limit = limit

    def start_line(self, channel_sid: str, entries: list[ReadyEntry]) -> ReadyLine:
        line = self.ready[channel_sid] = ReadyLine(entries, 2 * len(self.members) + SLACK)
        return line
