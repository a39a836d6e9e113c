"""Every query of the operations domain."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.ops.models import (
    AccessRequest,
    AuditEntry,
    EscalationContact,
    EscalationLevel,
    Incident,
    IncidentEntry,
    MaintenanceWindow,
    Notification,
    StatusComponent,
    SupportClosure,
)

FINISHED_STATUSES = ("resolved", "closed")

Stored = (
    Incident
    | IncidentEntry
    | SupportClosure
    | EscalationLevel
    | EscalationContact
    | Notification
    | StatusComponent
    | MaintenanceWindow
    | AccessRequest
    | AuditEntry
)


class OpsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: Stored) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def delete(self, row: Stored) -> None:
        await self.session.delete(row)

    # Incidents and their timelines.

    async def incident(self, sid: str) -> Incident | None:
        result = await self.session.execute(select(Incident).where(Incident.sid == sid))
        return result.scalar_one_or_none()

    async def incident_by_id(self, incident_id: int) -> Incident | None:
        return await self.session.get(Incident, incident_id)

    async def incidents(
        self,
        *,
        statuses: Sequence[str] = (),
        component: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Incident]:
        query = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc())
        if statuses:
            query = query.where(Incident.status.in_(statuses))
        if component:
            query = query.where(Incident.component == component)
        result = await self.session.execute(query.limit(limit).offset(offset))
        return list(result.scalars())

    async def report_rows(self, start: datetime, end: datetime) -> list[Row[Any]]:
        """What the monthly report needs of the incidents opened in [start, end): just the
        columns, without building ORM objects (a month can hold thousands)."""
        query = (
            select(
                Incident.id,
                Incident.sid,
                Incident.title,
                Incident.severity,
                Incident.opened_at,
                Incident.breach_reason,
            )
            .where(Incident.opened_at >= start, Incident.opened_at < end)
            .order_by(Incident.opened_at, Incident.id)
        )
        return list((await self.session.execute(query)).all())

    async def timeline_rows_opened_between(
        self, start: datetime, end: datetime
    ) -> dict[int, list[Row[Any]]]:
        """The timelines of the incidents opened in [start, end), as rows with `kind`, `at`
        and `data`, grouped by incident, in one query."""
        query = (
            select(
                IncidentEntry.incident_id, IncidentEntry.kind, IncidentEntry.at, IncidentEntry.data
            )
            .join(Incident, Incident.id == IncidentEntry.incident_id)
            .where(Incident.opened_at >= start, Incident.opened_at < end)
            .order_by(IncidentEntry.incident_id, IncidentEntry.at, IncidentEntry.id)
        )
        found: dict[int, list[Row[Any]]] = defaultdict(list)
        for row in await self.session.execute(query):
            found[row.incident_id].append(row)
        return found

    async def incidents_touching(self, start: datetime) -> list[Incident]:
        """Public incidents still open at or after `start` (for uptime and the status page)."""
        query = (
            select(Incident)
            .where(Incident.public.is_(True))
            .where((Incident.restored_at.is_(None)) | (Incident.restored_at >= start))
            .order_by(Incident.opened_at)
        )
        return list((await self.session.execute(query)).scalars())

    async def incidents_due_for_escalation(self, now: datetime, limit: int) -> list[Incident]:
        query = (
            select(Incident)
            .where(Incident.next_escalation_at <= now)
            .where(Incident.status.not_in(FINISHED_STATUSES))
            .order_by(Incident.next_escalation_at)
            .limit(limit)
        )
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list((await self.session.execute(query)).scalars())

    async def entries(self, incident_id: int) -> list[IncidentEntry]:
        query = (
            select(IncidentEntry)
            .where(IncidentEntry.incident_id == incident_id)
            .order_by(IncidentEntry.at, IncidentEntry.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def entries_of(self, incident_ids: Sequence[int]) -> dict[int, list[IncidentEntry]]:
        found: dict[int, list[IncidentEntry]] = defaultdict(list)
        for chunk_start in range(0, len(incident_ids), 500):
            chunk = incident_ids[chunk_start : chunk_start + 500]
            query = (
                select(IncidentEntry)
                .where(IncidentEntry.incident_id.in_(chunk))
                .order_by(IncidentEntry.at, IncidentEntry.id)
            )
            for entry in (await self.session.execute(query)).scalars():
                found[entry.incident_id].append(entry)
        return found

    async def public_entries(self, incident_ids: Sequence[int]) -> list[IncidentEntry]:
        if not incident_ids:
            return []
        query = (
            select(IncidentEntry)
            .where(IncidentEntry.incident_id.in_(incident_ids), IncidentEntry.public.is_(True))
            .order_by(IncidentEntry.at.desc(), IncidentEntry.id.desc())
        )
        return list((await self.session.execute(query)).scalars())

    # Calendar closures.

    async def closures(self) -> list[SupportClosure]:
        query = select(SupportClosure).order_by(SupportClosure.day, SupportClosure.id)
        return list((await self.session.execute(query)).scalars())

    async def closure(self, closure_id: int) -> SupportClosure | None:
        return await self.session.get(SupportClosure, closure_id)

    # Escalation list and notifications.

    async def escalation_levels(self) -> list[EscalationLevel]:
        query = select(EscalationLevel).order_by(EscalationLevel.position)
        return list((await self.session.execute(query)).scalars())

    async def escalation_contacts(self) -> dict[int, list[EscalationContact]]:
        query = select(EscalationContact).order_by(EscalationContact.id)
        found: dict[int, list[EscalationContact]] = defaultdict(list)
        for contact in (await self.session.execute(query)).scalars():
            found[contact.level_id].append(contact)
        return found

    async def clear_escalation_list(self) -> None:
        await self.session.execute(delete(EscalationContact))
        await self.session.execute(delete(EscalationLevel))

    async def notifications_due(self, now: datetime, limit: int) -> list[Notification]:
        query = (
            select(Notification)
            .where(Notification.status == "pending", Notification.next_attempt_at <= now)
            .order_by(Notification.id)
            .limit(limit)
        )
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list((await self.session.execute(query)).scalars())

    async def notification_by_ack_token(self, token: str) -> Notification | None:
        query = select(Notification).where(Notification.ack_token == token)
        return (await self.session.execute(query)).scalar_one_or_none()

    # Status page.

    async def components(self) -> list[StatusComponent]:
        query = select(StatusComponent).order_by(StatusComponent.position, StatusComponent.id)
        return list((await self.session.execute(query)).scalars())

    async def component(self, key: str) -> StatusComponent | None:
        query = select(StatusComponent).where(StatusComponent.key == key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def maintenance_windows(self, ending_after: datetime) -> list[MaintenanceWindow]:
        query = (
            select(MaintenanceWindow)
            .where(MaintenanceWindow.ends_at > ending_after)
            .order_by(MaintenanceWindow.starts_at)
        )
        return list((await self.session.execute(query)).scalars())

    async def maintenance_window(self, window_id: int) -> MaintenanceWindow | None:
        return await self.session.get(MaintenanceWindow, window_id)

    # Access requests.

    async def access_requests(self, status: str | None = None) -> list[AccessRequest]:
        query = select(AccessRequest).order_by(AccessRequest.created_at.desc(), AccessRequest.id)
        if status:
            query = query.where(AccessRequest.status == status)
        return list((await self.session.execute(query)).scalars())

    async def access_request(self, request_id: int) -> AccessRequest | None:
        return await self.session.get(AccessRequest, request_id)

    async def pending_request_for(self, email: str) -> AccessRequest | None:
        query = select(AccessRequest).where(
            AccessRequest.email == email, AccessRequest.status == "pending"
        )
        return (await self.session.execute(query)).scalars().first()

    async def audit(self, subject: str) -> list[AuditEntry]:
        query = select(AuditEntry).where(AuditEntry.subject == subject).order_by(AuditEntry.id)
        return list((await self.session.execute(query)).scalars())
