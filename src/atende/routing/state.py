"""What the engine hands to, and takes back from, the code that persists it."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import NamedTuple

from atende.routing.model import (
    Activity,
    Reservation,
    Task,
    TaskChannel,
    TaskQueue,
    Worker,
    Workflow,
    WorkspaceSettings,
)


class RoutingChanges(NamedTuple):
    """SIDs whose state changed since the previous drain (the sets belong to the caller).

    A SID the engine no longer knows (``engine.tasks.get(sid) is None``) was deleted.
    """

    task_sids: AbstractSet[str]
    reservation_sids: AbstractSet[str]
    worker_sids: AbstractSet[str]


@dataclass(slots=True)
class RoutingSnapshot:
    """Everything needed to rebuild an engine, e.g. from persisted rows after a restart.

    Tasks must carry their routing position (``filter_index``, ``target_index``,
    ``target_timeout_base``, ``target_deadline``) and reservations their ``timeout_at``: timers
    are derived from these, so they fire when they would have without the restart.
    """

    settings: WorkspaceSettings
    activities: list[Activity] = field(default_factory=list)
    task_channels: list[TaskChannel] = field(default_factory=list)
    task_queues: list[TaskQueue] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    reservations: list[Reservation] = field(default_factory=list)
