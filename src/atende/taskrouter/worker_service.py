"""Use cases of workers: creating them, changing their activity, attributes and channel
capacities (each a routing-engine command, since any of them may start an assignment)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atende.routing.expression import ExpressionError, compile_expression
from atende.sids import new_sid
from atende.taskrouter import models
from atende.taskrouter.errors import invalid, not_found, precondition_failed
from atende.taskrouter.persistence import dump_json
from atende.taskrouter.service_base import ServiceBase
from atende.taskrouter.web.params import parse_json_object
from atende.taskrouter.web.representations import ChannelUsage

Attributes = Mapping[str, Any] | str


def attributes_pair(attributes: Attributes) -> tuple[str, dict[str, Any]]:
    """The text to store (as the client wrote it) and the object to route on."""
    if isinstance(attributes, str):
        return attributes, parse_json_object("Attributes", attributes)
    return dump_json(attributes), dict(attributes)


def check_version(expected: str | None, row_version: int) -> None:
    """`If-Match`: the update applies only to the version the client last saw."""
    if expected is not None and expected.strip().strip('"') != str(row_version):
        raise precondition_failed(expected, str(row_version))


class WorkerCommands(ServiceBase):
    async def worker(self, workspace_sid: str, sid: str) -> models.Worker:
        row = await self.repo.worker(workspace_sid, sid)
        if row is None:
            raise not_found(f"/Workspaces/{workspace_sid}/Workers/{sid}")
        return row

    async def _check_activity(self, workspace_sid: str, activity_sid: str | None) -> None:
        state = await self.routing(workspace_sid)
        if activity_sid is not None and activity_sid not in state.engine.activities:
            raise invalid("ActivitySid", f"no activity {activity_sid} in this workspace")

    async def create_worker(
        self,
        workspace_sid: str,
        friendly_name: str,
        *,
        activity_sid: str | None = None,
        attributes: Attributes | None = None,
    ) -> models.Worker:
        await self._check_activity(workspace_sid, activity_sid)
        text, parsed = attributes_pair(attributes if attributes is not None else "{}")
        sid = new_sid("WK")
        await self.execute(
            workspace_sid,
            lambda engine: engine.upsert_worker(
                sid, friendly_name=friendly_name, attributes=parsed, activity_sid=activity_sid
            ),
            parameter="FriendlyName",
            attribute_texts={sid: text},
        )
        return await self.worker(workspace_sid, sid)

    async def update_worker(
        self,
        workspace_sid: str,
        sid: str,
        *,
        activity_sid: str | None = None,
        attributes: Attributes | None = None,
        friendly_name: str | None = None,
        reject_pending_reservations: bool = False,
        if_match: str | None = None,
    ) -> models.Worker:
        await self._check_activity(workspace_sid, activity_sid)
        row = await self.worker(workspace_sid, sid)
        check_version(if_match, row.version)
        texts: dict[str, str] = {}
        parsed: dict[str, Any] | None = None
        if attributes is not None:
            texts[sid], parsed = attributes_pair(attributes)
        if parsed is not None or friendly_name is not None:
            await self.execute(
                workspace_sid,
                lambda engine: engine.upsert_worker(
                    sid, friendly_name=friendly_name, attributes=parsed
                ),
                parameter="FriendlyName" if friendly_name is not None else "Attributes",
                attribute_texts=texts,
            )
        if activity_sid is not None:
            await self.execute(
                workspace_sid,
                lambda engine: engine.set_worker_activity(
                    sid, activity_sid, reject_pending_reservations=reject_pending_reservations
                ),
                parameter="ActivitySid",
            )
        return await self.worker(workspace_sid, sid)

    async def delete_worker(
        self, workspace_sid: str, sid: str, *, if_match: str | None = None
    ) -> None:
        row = await self.worker(workspace_sid, sid)
        check_version(if_match, row.version)
        await self.execute(workspace_sid, lambda engine: engine.remove_worker(sid), parameter="Sid")

    async def worker_channel(
        self, workspace_sid: str, worker_sid: str, sid: str
    ) -> models.WorkerChannel:
        """A worker's channel by its WC SID, its task channel's SID or unique name."""
        row = await self.repo.worker_channel(workspace_sid, worker_sid, sid)
        if row is None:
            raise not_found(f"/Workspaces/{workspace_sid}/Workers/{worker_sid}/Channels/{sid}")
        return row

    async def update_worker_channel(
        self,
        workspace_sid: str,
        worker_sid: str,
        sid: str,
        *,
        capacity: int | None = None,
        available: bool | None = None,
    ) -> models.WorkerChannel:
        row = await self.worker_channel(workspace_sid, worker_sid, sid)
        channel_sid = row.task_channel_sid
        await self.execute(
            workspace_sid,
            lambda engine: engine.update_worker_channel(
                worker_sid, channel_sid, capacity=capacity, available=available
            ),
            parameter="Capacity",
        )
        return await self.worker_channel(workspace_sid, worker_sid, row.sid)

    async def channel_usage(
        self, workspace_sid: str, worker_sid: str, task_channel_sid: str
    ) -> ChannelUsage:
        engine = (await self.peek(workspace_sid)).engine
        worker = engine.workers.get(worker_sid)
        channel = None if worker is None else worker.channels.get(task_channel_sid)
        if channel is None:
            return ChannelUsage(assigned_tasks=0, available_capacity_percentage=0)
        return ChannelUsage(
            assigned_tasks=channel.assigned_tasks,
            available_capacity_percentage=channel.available_capacity_percentage,
        )

    async def workers_matching(self, workspace_sid: str, expression: str) -> set[str]:
        """Workers a `TargetWorkersExpression` selects (errors name that parameter)."""
        try:
            compiled = compile_expression(expression)
        except ExpressionError as error:
            raise invalid("TargetWorkersExpression", str(error)) from None
        engine = (await self.peek(workspace_sid)).engine
        return {
            sid
            for sid, worker in engine.workers.items()
            if compiled.matches(worker.attributes, {"worker": worker.attributes})
        }

    async def queue_members(self, workspace_sid: str, queue_sid: str) -> set[str]:
        engine = (await self.peek(workspace_sid)).engine
        if queue_sid not in engine.task_queues:
            raise invalid("TaskQueueSid", f"no task queue {queue_sid} in this workspace")
        return set(engine.eligible_workers(queue_sid))
