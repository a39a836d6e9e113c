"""Deadlines of the routing core, fired in (deadline, creation) order.

Deadlines are cancelled far more often than they fire (a task is usually assigned long before its
TTL), so cancelling only marks the entry and the heap is rebuilt once dead entries dominate. Two
are scheduled and cancelled per assignment, so an entry is a bare list
``[deadline, sequence, kind, sid]`` rather than an object; ``kind`` None marks it dead.
"""

from __future__ import annotations

import heapq
from enum import IntEnum
from typing import Any

_COMPACT_MIN_DEAD = 256
_KIND = 2

Timer = list[Any]
"""A scheduled deadline, as returned by :meth:`Timers.schedule` (only to be cancelled)."""


class TimerKind(IntEnum):
    RESERVATION_TIMEOUT = 0
    TARGET_TIMEOUT = 1
    TASK_TTL = 2


class Timers:
    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._sequence = 0
        self._dead = 0

    def schedule(self, deadline: float, kind: TimerKind, sid: str) -> Timer:
        self._sequence += 1
        timer = [deadline, self._sequence, kind, sid]
        heapq.heappush(self._heap, timer)
        return timer

    def cancel(self, timer: Timer | None) -> None:
        if timer is None or timer[_KIND] is None:
            return
        timer[_KIND] = None
        self._dead += 1
        if self._dead > _COMPACT_MIN_DEAD and self._dead * 2 > len(self._heap):
            self._heap = [entry for entry in self._heap if entry[_KIND] is not None]
            heapq.heapify(self._heap)
            self._dead = 0

    def next_deadline(self) -> float | None:
        heap = self._heap
        while heap and heap[0][_KIND] is None:
            heapq.heappop(heap)
            self._dead -= 1
        return heap[0][0] if heap else None

    def pop_due(self, now: float) -> tuple[TimerKind, str] | None:
        """The earliest live deadline due at ``now``, as (kind, SID); it is then gone."""
        deadline = self.next_deadline()
        if deadline is None or deadline > now:
            return None
        _, _, kind, sid = heapq.heappop(self._heap)
        return kind, sid

    def __len__(self) -> int:
        return len(self._heap) - self._dead
