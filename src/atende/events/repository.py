"""Every query over stored events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.db.base import utcnow
from atende.events.models import Event


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, sid: str) -> Event | None:
        result = await self.session.execute(select(Event).where(Event.sid == sid))
        return result.scalar_one_or_none()

    async def list_events(
        self,
        workspace_sid: str,
        *,
        event_type: str | None = None,
        resource_sid: str | None = None,
        task_sid: str | None = None,
        worker_sid: str | None = None,
        reservation_sid: str | None = None,
        task_queue_sid: str | None = None,
        workflow_sid: str | None = None,
        task_channel: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        minutes: int | None = None,
        page_size: int = 50,
        page: int = 0,
    ) -> list[Event]:
        """Newest first, as TaskRouter lists events."""
        query: Select[tuple[Event]] = select(Event).where(Event.workspace_sid == workspace_sid)
        for column, value in (
            (Event.event_type, event_type),
            (Event.resource_sid, resource_sid),
            (Event.task_sid, task_sid),
            (Event.worker_sid, worker_sid),
            (Event.reservation_sid, reservation_sid),
        ):
            if value is not None:
                query = query.where(column == value)
        if minutes is not None:
            start = utcnow() - timedelta(minutes=minutes)
        if start is not None:
            query = query.where(Event.event_date >= start)
        if end is not None:
            query = query.where(Event.event_date <= end)
        # Fields only the event's data carries are filtered by the database too, so paging
        # stays in SQL instead of loading the workspace's whole history.
        for key, value in (("task_queue_sid", task_queue_sid), ("workflow_sid", workflow_sid)):
            if value is not None:
                query = query.where(Event.data[key].as_string() == value)
        if task_channel is not None:
            query = query.where(
                or_(
                    Event.data["task_channel_unique_name"].as_string() == task_channel,
                    Event.data["task_channel_sid"].as_string() == task_channel,
                )
            )
        query = query.order_by(Event.id.desc()).offset(page * page_size).limit(page_size)
        return list((await self.session.execute(query)).scalars())

    async def after(
        self,
        sequence: int,
        *,
        workspace_sid: str | None = None,
        worker_sid: str | None = None,
        limit: int = 1000,
    ) -> Sequence[Event]:
        """The replay a reconnecting stream needs: everything after the last seen sequence."""
        query = select(Event).where(Event.id > sequence)
        if workspace_sid is not None:
            query = query.where(Event.workspace_sid == workspace_sid)
        if worker_sid is not None:
            query = query.where(Event.worker_sid == worker_sid)
        result = await self.session.execute(query.order_by(Event.id).limit(limit))
        return result.scalars().all()

    async def last_sequence(self) -> int:
        result = await self.session.execute(select(Event.id).order_by(Event.id.desc()).limit(1))
        return result.scalar_one_or_none() or 0
