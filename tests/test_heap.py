"""The server's collector freezing: full passes skip survivors, and a thaw cleans dead cycles."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from atende import heap


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Node:
    """Something that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def clock() -> Iterator[Clock]:
    moved = Clock()
    freezer = heap.install(heap.Freezer(thaw_every=60.0, clock=moved))
    try:
        yield moved
    finally:
        heap.uninstall(freezer)


def _cycle() -> Node:
    first, second = Node(), Node()
    first.other, second.other = second, first
    return first


def test_survivors_of_a_full_collection_are_frozen(clock: Clock) -> None:
    kept = [Node() for _ in range(100)]
    gc.collect()
    frozen = gc.get_freeze_count()
    assert frozen > len(kept)
    # A young collection leaves the frozen set alone; a full one adds only what arrived since.
    more = [Node() for _ in range(100)]
    gc.collect(0)
    assert gc.get_freeze_count() == frozen
    gc.collect()
    assert gc.get_freeze_count() >= frozen + len(more)


def test_a_cycle_that_dies_while_frozen_is_collected_after_the_thaw(clock: Clock) -> None:
    holder = [_cycle()]
    alive = weakref.ref(holder[0])
    gc.collect()  # the cycle survives (it is referenced) and is frozen
    holder.clear()  # now unreachable, but frozen: the collector does not walk it
    gc.collect()
    assert alive() is not None
    clock.now = 61.0
    gc.collect()  # this pass ends the thaw period: nothing is frozen after it
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert alive() is None


def test_uninstall_leaves_nothing_frozen() -> None:
    freezer = heap.install(heap.Freezer())
    assert gc.get_freeze_count() > 0
    heap.uninstall(freezer)
    assert gc.get_freeze_count() == 0
    assert freezer not in gc.callbacks


def test_settle_does_nothing_without_the_freezer() -> None:
    before = gc.get_freeze_count()
    heap.settle()
    assert gc.get_freeze_count() == before == 0
