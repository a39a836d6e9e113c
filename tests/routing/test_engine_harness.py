"""A small contact center for engine tests: a manual clock, predictable SIDs, helpers.

Holds no tests of its own; the engine test modules import it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from atende.routing.engine import RoutingEngine
from atende.routing.events import RoutingEvent
from atende.routing.model import (
    Activity,
    QueueOrder,
    Reservation,
    TaskChannel,
    TaskQueue,
    Workflow,
    WorkspaceSettings,
)
from atende.routing.workflow import parse_workflow_configuration

AVAILABLE = "WA" + "a" * 32
OFFLINE = "WA" + "0" * 32
BUSY = "WA" + "b" * 32
RESERVED = "WA" + "c" * 32
ON_CALL = "WA" + "d" * 32

START = 1_700_000_000.0


class ManualClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


class CountingSids:
    """Deterministic SIDs: prefix + 32 hex digits of a per-factory counter."""

    def __init__(self, start: int = 1) -> None:
        self._counter = itertools.count(start)
        self.issued = start - 1

    def __call__(self, prefix: str) -> str:
        self.issued = next(self._counter)
        return f"{prefix}{self.issued:032x}"


def queue_sid(name: str) -> str:
    return "WQ" + name.encode().hex().ljust(32, "0")[:32]


def workflow_sid(name: str) -> str:
    return "WW" + name.encode().hex().ljust(32, "0")[:32]


def worker_sid(name: str) -> str:
    return "WK" + name.encode().hex().ljust(32, "0")[:32]


def channel_sid(name: str) -> str:
    return "TC" + name.encode().hex().ljust(32, "0")[:32]


class Center:
    """An engine with activities Available/Offline/Busy/Reserved/On call and channels
    default/voice/chat already set up."""

    def __init__(self, *, multi_task: bool = True, clock: ManualClock | None = None) -> None:
        self.clock = clock or ManualClock()
        self.sids = CountingSids()
        self.engine = RoutingEngine(self.clock, self.sids)
        for sid, name, available in (
            (AVAILABLE, "Available", True),
            (OFFLINE, "Offline", False),
            (BUSY, "Busy", False),
            (RESERVED, "Reserved", False),
            (ON_CALL, "On call", False),
        ):
            self.engine.upsert_activity(Activity(sid, name, available))
        for name in ("default", "voice", "chat"):
            self.engine.upsert_task_channel(TaskChannel(channel_sid(name), name, name.title()))
        self.engine.configure_workspace(
            WorkspaceSettings(
                default_activity_sid=OFFLINE,
                timeout_activity_sid=OFFLINE,
                multi_task_enabled=multi_task,
            )
        )

    def queue(
        self,
        name: str,
        target_workers: str = "1==1",
        *,
        order: QueueOrder = QueueOrder.FIFO,
        max_reserved: int = 1,
        reservation_activity: str | None = None,
        assignment_activity: str | None = None,
    ) -> str:
        sid = queue_sid(name)
        self.engine.upsert_task_queue(
            TaskQueue(
                sid,
                name,
                target_workers=target_workers,
                task_order=order,
                max_reserved_workers=max_reserved,
                reservation_activity_sid=reservation_activity,
                assignment_activity_sid=assignment_activity,
            )
        )
        return sid

    def workflow(
        self, name: str, config: Mapping[str, Any], *, reservation_timeout: int = 120
    ) -> str:
        sid = workflow_sid(name)
        configuration = parse_workflow_configuration(config, self.engine.task_queues.keys())
        self.engine.upsert_workflow(
            Workflow(sid, name, configuration, task_reservation_timeout=reservation_timeout)
        )
        return sid

    def simple_workflow(self, queue: str, name: str = "simple", **kwargs: Any) -> str:
        return self.workflow(name, {"task_routing": {"default_filter": {"queue": queue}}}, **kwargs)

    def worker(
        self, name: str, attributes: Mapping[str, Any] | None = None, *, available: bool = True
    ) -> str:
        sid = worker_sid(name)
        self.engine.upsert_worker(
            sid,
            friendly_name=name,
            attributes=attributes or {},
            activity_sid=AVAILABLE if available else OFFLINE,
        )
        return sid

    def task(
        self, workflow: str, attributes: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> str:
        events = self.engine.create_task(workflow_sid=workflow, attributes=attributes, **kwargs)
        return events[0].resource_sid

    def reservations(self, task: str) -> list[Reservation]:
        return self.engine.task_reservations(task)

    def pending_reservation(self, task: str) -> Reservation:
        pending = [r for r in self.reservations(task) if r.status == "pending"]
        assert len(pending) == 1, pending
        return pending[0]

    def assigned_worker(self, task: str) -> str | None:
        """The worker holding the task's pending or accepted reservation, if any."""
        active = [
            r for r in self.reservations(task) if r.status in ("pending", "accepted", "wrapping")
        ]
        return active[0].worker_sid if active else None

    def advance(self, seconds: float) -> list[RoutingEvent]:
        self.clock.tick(seconds)
        return self.engine.advance()


def types(events: list[RoutingEvent]) -> list[str]:
    return [event.event_type for event in events]
