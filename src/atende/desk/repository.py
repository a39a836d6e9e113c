"""Every query of the desk's own tables."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.models import User
from atende.desk.models import CannedResponse, Disposition, WrapUp


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

    def add(self, row: Disposition | CannedResponse | WrapUp) -> None:
        self.session.add(row)

    async def delete(self, row: Disposition | CannedResponse) -> None:
        await self.session.delete(row)
