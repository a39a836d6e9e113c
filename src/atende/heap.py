"""Keeping Python's full garbage collections short in a long-running server.

A full (oldest-generation) collection walks every tracked object. A server holds hundreds of
thousands that live as long as it does (modules, the routing engines' workers, queues and
tasks), and with 5,000 workers loaded each full pass stalled every request in flight for
50–150 ms: most of the create-to-offer p99. After each full collection the survivors are frozen
(moved where the collector no longer walks them), so the next one walks only what arrived since.

Frozen objects are still freed by reference counting; only a reference cycle among them that
dies stays uncollected. So every `thaw_every` seconds the survivors are left unfrozen once, and
the next full collection walks, and cleans, the whole heap."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

THAW_EVERY = 600.0
OLDEST = 2
# Loading a workspace this large leaves enough new long-lived objects to be worth a full
# collection at once, rather than in the middle of the traffic that follows.
LARGE_WORKSPACE = 1_000


class Freezer:
    """The `gc.callbacks` entry; `clock` is injectable so the thaw can be tested."""

    def __init__(
        self, thaw_every: float = THAW_EVERY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.thaw_every = thaw_every
        self.clock = clock
        self.thawed_at = clock()

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info["generation"] != OLDEST:
            return
        now = self.clock()
        if now - self.thawed_at >= self.thaw_every:
            self.thawed_at = now
            gc.unfreeze()
        else:
            gc.freeze()


_installed: list[Freezer] = []


def install(freezer: Freezer | None = None) -> Freezer:
    """For the server process, not for a test run's many short-lived apps: what is alive now
    (modules, once imported) is frozen at once, and survivors after every full collection."""
    installed = freezer or Freezer()
    gc.callbacks.append(installed)
    _installed.append(installed)
    settle()
    return installed


def uninstall(freezer: Freezer) -> None:
    gc.callbacks.remove(freezer)
    _installed.remove(freezer)
    gc.unfreeze()


def settle() -> None:
    """A full collection now, at a moment of our choosing (start-up, a large workspace just
    loaded), rather than the collector's, during traffic. Nothing without the freezer."""
    if _installed:
        gc.collect()
