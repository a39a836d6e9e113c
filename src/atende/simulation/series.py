"""Reporting intervals and the time-weighted levels (queue length, agents in) measured over them.

A level that changes at event instants is averaged over each interval by its area, not by
sampling, so a spike between two samples is not lost and a long quiet spell weighs its length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

DAY = 86_400.0


class IntervalGrid:
    """``count`` intervals of ``length`` seconds from ``day_start`` on each of ``days`` days;
    simulated time is seconds since midnight of the first day."""

    def __init__(self, day_start: float, length: float, count: int, days: int) -> None:
        self.day_start = day_start
        self.length = length
        self.count = count
        self.days = days

    def __len__(self) -> int:
        return self.count * self.days

    def start(self, index: int) -> float:
        day, slot = divmod(index, self.count)
        return day * DAY + self.day_start + slot * self.length

    def index(self, instant: float) -> int | None:
        day = math.floor(instant / DAY)
        slot = math.floor((instant - day * DAY - self.day_start) / self.length)
        if 0 <= day < self.days and 0 <= slot < self.count:
            return day * self.count + slot
        return None

    def next_index(self, instant: float) -> int:
        """The first interval starting at or after ``instant`` (``len(self)`` if none)."""
        day = math.floor(instant / DAY)
        slot = max(math.ceil((instant - day * DAY - self.day_start) / self.length), 0)
        if slot >= self.count:
            day, slot = day + 1, 0
        return min(day * self.count + slot, len(self))

    def overlaps(self, begin: float, end: float) -> Iterator[tuple[int, float]]:
        """(interval index, seconds) of every interval that ``[begin, end)`` overlaps."""
        while begin < end:
            day = math.floor(begin / DAY)
            if day >= self.days:
                return
            slot = math.floor((begin - day * DAY - self.day_start) / self.length)
            if slot < 0:
                begin = day * DAY + self.day_start
                continue
            if slot >= self.count:
                begin = (day + 1) * DAY
                continue
            boundary = day * DAY + self.day_start + (slot + 1) * self.length
            stop = min(end, boundary)
            if stop > begin:
                yield day * self.count + slot, stop - begin
                begin = stop
            else:  # rounding put ``begin`` on the boundary
                begin = math.nextafter(begin, math.inf)


class LevelSeries:
    """A count that changes over time, averaged and peaked per interval of a grid."""

    def __init__(self, grid: IntervalGrid) -> None:
        self._grid = grid
        self._area = [0.0] * len(grid)
        self._peak = [0] * len(grid)
        self._level = 0
        self._since = 0.0

    @property
    def level(self) -> int:
        return self._level

    def change(self, instant: float, delta: int) -> None:
        self._accumulate(instant)
        self._level += delta
        index = self._grid.index(instant)
        if index is not None and self._level > self._peak[index]:
            self._peak[index] = self._level

    def close(self, instant: float) -> None:
        self._accumulate(instant)

    def averages(self) -> list[float]:
        return [area / self._grid.length for area in self._area]

    def peaks(self) -> list[int]:
        return list(self._peak)

    def _accumulate(self, instant: float) -> None:
        level = self._level
        if level:
            for index, seconds in self._grid.overlaps(self._since, instant):
                self._area[index] += level * seconds
                if level > self._peak[index]:
                    self._peak[index] = level
        self._since = instant
