"""Every query of the desk's own tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.models import User
from atende.desk.models import CannedResponse, Disposition, QueueGoal, WrapUp
from atende.events.models import Event
from atende.events.record import stream_payload
from atende.taskrouter.models import Workspace


class DeskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def dispositions(self, *, include_inactive: bool = False) -> Sequence[Disposition]:
        query = select(Disposition).order_by(Disposition.position, Disposition.id)
        if not include_inactive:
            query = query.where(Disposition.active.is_(True))
        return (await self.session.scalars(query)).all()

    async def disposition(self, disposition_id: int) -> Disposition | None:
        return await self.session.get(Disposition, disposition_id)

    async def disposition_by_code(self, code: str) -> Disposition | None:
        return await self.session.scalar(select(Disposition).where(Disposition.code == code))

    async def canned_responses(self, *, include_inactive: bool = False) -> Sequence[CannedResponse]:
        query = select(CannedResponse).order_by(CannedResponse.position, CannedResponse.id)
        if not include_inactive:
            query = query.where(CannedResponse.active.is_(True))
        return (await self.session.scalars(query)).all()

    async def canned_response(self, response_id: int) -> CannedResponse | None:
        return await self.session.get(CannedResponse, response_id)

    async def wrap_up(self, task_sid: str) -> WrapUp | None:
        return await self.session.scalar(select(WrapUp).where(WrapUp.task_sid == task_sid))

    async def users(self) -> Sequence[User]:
        return (await self.session.scalars(select(User).order_by(User.email))).all()

    async def users_of_workers(self, worker_sids: Sequence[str]) -> Sequence[User]:
        if not worker_sids:
            return []
        query = select(User).where(User.worker_sid.in_(list(worker_sids)))
        return (await self.session.scalars(query)).all()

    async def user_of_worker(self, worker_sid: str) -> User | None:
        return await self.session.scalar(select(User).where(User.worker_sid == worker_sid))

    async def counted_events(
        self, workspace_sid: str, event_types: Sequence[str], since: datetime
    ) -> list[dict[str, Any]]:
        """The day's events of some types, shaped as the push stream carries them."""
        query = (
            select(Event)
            .where(
                Event.workspace_sid == workspace_sid,
                Event.event_type.in_(list(event_types)),
                Event.event_date >= since,
            )
            .order_by(Event.id)
        )
        return [stream_payload(row) for row in (await self.session.scalars(query)).all()]

    async def workspaces(self) -> Sequence[Workspace]:
        query = select(Workspace).order_by(Workspace.date_created, Workspace.sid)
        return (await self.session.scalars(query)).all()

    async def queue_goals(self, workspace_sid: str) -> dict[str, QueueGoal]:
        query = select(QueueGoal).where(QueueGoal.workspace_sid == workspace_sid)
        return {goal.queue_sid: goal for goal in (await self.session.scalars(query)).all()}

    async def queue_goal(self, queue_sid: str) -> QueueGoal | None:
        return await self.session.get(QueueGoal, queue_sid)

    def add(self, row: Disposition | CannedResponse | WrapUp | QueueGoal) -> None:
        self.session.add(row)

    async def delete(self, row: Disposition | CannedResponse) -> None:
        await self.session.delete(row)
