"""Deadlines of the routing core, fired in (deadline, creation) order.

Deadlines are cancelled far more often than they fire (a task is usually assigned long before its
TTL), so cancellation only marks the entry and the heap is rebuilt once dead entries dominate.
"""

from __future__ import annotations

import heapq
from enum import IntEnum

_COMPACT_MIN_DEAD = 256


class TimerKind(IntEnum):
    RESERVATION_TIMEOUT = 0
    TARGET_TIMEOUT = 1
    TASK_TTL = 2


class Timer:
    __slots__ = ("alive", "deadline", "kind", "sid")

    def __init__(self, deadline: float, kind: TimerKind, sid: str) -> None:
        self.deadline = deadline
        self.kind = kind
        self.sid = sid
        self.alive = True


class Timers:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._sequence = 0
        self._dead = 0

    def schedule(self, deadline: float, kind: TimerKind, sid: str) -> Timer:
        timer = Timer(deadline, kind, sid)
        self._sequence += 1
        heapq.heappush(self._heap, (deadline, self._sequence, timer))
        return timer

    def cancel(self, timer: Timer | None) -> None:
        if timer is None or not timer.alive:
            return
        timer.alive = False
        self._dead += 1
        if self._dead > _COMPACT_MIN_DEAD and self._dead * 2 > len(self._heap):
            self._heap = [entry for entry in self._heap if entry[2].alive]
            heapq.heapify(self._heap)
            self._dead = 0

    def next_deadline(self) -> float | None:
        heap = self._heap
        while heap and not heap[0][2].alive:
            heapq.heappop(heap)
            self._dead -= 1
        return heap[0][0] if heap else None

    def pop_due(self, now: float) -> Timer | None:
        """The earliest live timer due at ``now`` (it no longer counts as scheduled)."""
        deadline = self.next_deadline()
        if deadline is None or deadline > now:
            return None
        timer = heapq.heappop(self._heap)[2]
        timer.alive = False
        return timer

    def __len__(self) -> int:
        return len(self._heap) - self._dead
