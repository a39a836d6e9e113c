"""What voice asks of the routing core, in one narrow port.

Voice never matches calls to agents itself (principle 1): it creates tasks on the `voice`
channel and moves them along (cancel when a caller abandons, wrap-up when the talk ends, accept
when an instruction says so). Transfers and click-to-call reach a given agent through TaskRouter's
known-worker targets: the task carries `target_worker` (a worker SID) or `transfer_queue` (a queue
SID), which the workflow's transfer filters route on (see `transfer_filters`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Routing(Protocol):
    async def create_task(
        self,
        workspace_sid: str,
        workflow_sid: str,
        attributes: Mapping[str, Any],
        *,
        priority: int | None = None,
        timeout: int | None = None,
    ) -> str:
        """Create a voice task and route it; returns its SID."""

    async def update_attributes(
        self, workspace_sid: str, task_sid: str, attributes: Mapping[str, Any]
    ) -> None: ...

    async def cancel_task(self, workspace_sid: str, task_sid: str, reason: str) -> None: ...

    async def wrap_up_task(self, workspace_sid: str, task_sid: str, reason: str) -> None: ...

    async def complete_task(self, workspace_sid: str, task_sid: str, reason: str) -> None: ...

    async def accept_reservation(self, workspace_sid: str, reservation_sid: str) -> None: ...

    async def reject_reservation(self, workspace_sid: str, reservation_sid: str) -> None: ...

    def defer_writes(self) -> None:
        """From now on the transaction's task creations may be written later, together."""

    async def write_deferred(self) -> None:
        """Write the creations deferred so far (before anything reads them, and the commit)."""


def transfer_filters(
    queue_sids: Mapping[str, str], everyone_queue_sid: str
) -> list[dict[str, Any]]:
    """Workflow filters to put first in a workflow that voice transfers and click-to-call use:
    one for a known agent (through a queue every agent belongs to), one per transfer queue."""
    filters: list[dict[str, Any]] = [
        {
            "filter_friendly_name": "Para um agente (transferência ou ligação de saída)",
            "expression": "target_worker != null",
            "targets": [{"queue": everyone_queue_sid, "known_worker_sid": "task.target_worker"}],
        }
    ]
    for name, sid in queue_sids.items():
        filters.append(
            {
                "filter_friendly_name": f"Transferência para {name}",
                "expression": f"transfer_queue == '{sid}'",
                "targets": [{"queue": sid}],
            }
        )
    return filters
