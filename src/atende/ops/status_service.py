"""The public status page: each component's status now, 90 days of uptime bars, the public
incidents with their updates, and scheduled maintenance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from atende.ops.context import OpsContext
from atende.ops.models import Incident, IncidentEntry, MaintenanceWindow
from atende.ops.repository import OpsRepository
from atende.ops.severity import Severity
from atende.ops.uptime import (
    ComponentStatus,
    DayBar,
    Outage,
    daily_bars,
    incident_impact,
    overall_uptime,
    worst,
)

STATUS_DAYS = 90
RECENT = timedelta(days=7)

_MILESTONES = (
    ("opened_at", "Incidente identificado"),
    ("response_started_at", "Em atendimento"),
    ("restored_at", "Serviço restabelecido"),
    ("resolved_at", "Causa raiz corrigida"),
)


@dataclass(frozen=True)
class ComponentView:
    key: str
    name: str
    status: ComponentStatus
    uptime: float
    bars: list[DayBar]


@dataclass(frozen=True)
class Update:
    at: datetime
    text: str


@dataclass(frozen=True)
class PublicIncident:
    sid: str
    title: str
    severity: Severity
    status: str
    component: str
    opened_at: datetime
    restored_at: datetime | None
    updates: list[Update]


@dataclass(frozen=True)
class StatusPage:
    status: ComponentStatus
    components: list[ComponentView]
    incidents: list[PublicIncident]
    maintenance: list[MaintenanceWindow]
    generated_at: datetime


class StatusService:
    def __init__(self, session: AsyncSession, context: OpsContext) -> None:
        self.repo = OpsRepository(session)
        self.context = context
        self.now = context.clock()

    async def page(self) -> StatusPage:
        zone = self.context.settings.timezone
        since = self.now - timedelta(days=STATUS_DAYS + 1)
        incidents = await self.repo.incidents_touching(since)
        windows = await self.repo.maintenance_windows(ending_after=since)
        today = self.now.astimezone(ZoneInfo(zone)).date()
        components = []
        for component in await self.repo.components():
            outages = [
                *(
                    _outage(incident)
                    for incident in incidents
                    if incident.component == component.key
                ),
                *(
                    Outage(window.starts_at, window.ends_at, ComponentStatus.UNDER_MAINTENANCE)
                    for window in windows
                    if window.component == component.key
                ),
            ]
            bars = daily_bars(outages, last_day=today, days=STATUS_DAYS, zone=zone, now=self.now)
            current = [outage.status for outage in outages if _active(outage, self.now)]
            status = (
                ComponentStatus(component.manual_status)
                if component.manual_status
                else worst(current)
            )
            components.append(
                ComponentView(component.key, component.name, status, overall_uptime(bars), bars)
            )
        return StatusPage(
            status=worst(component.status for component in components),
            components=components,
            incidents=await self._public_incidents(incidents),
            maintenance=[window for window in windows if window.ends_at > self.now],
            generated_at=self.now,
        )

    async def _public_incidents(self, incidents: list[Incident]) -> list[PublicIncident]:
        shown = [
            incident
            for incident in incidents
            if incident.restored_at is None or incident.restored_at > self.now - RECENT
        ]
        entries = await self.repo.public_entries([incident.id for incident in shown])
        return [
            PublicIncident(
                sid=incident.sid,
                title=incident.title,
                severity=Severity(incident.severity),
                status=incident.status,
                component=incident.component,
                opened_at=incident.opened_at,
                restored_at=incident.restored_at,
                updates=_updates(incident, [e for e in entries if e.incident_id == incident.id]),
            )
            for incident in sorted(shown, key=lambda incident: incident.opened_at, reverse=True)
        ]


def _outage(incident: Incident) -> Outage:
    status = incident_impact(Severity(incident.severity), incident.total_outage)
    return Outage(incident.opened_at, incident.restored_at, status)


def _active(outage: Outage, now: datetime) -> bool:
    return outage.start <= now and (outage.end is None or outage.end > now)


def _updates(incident: Incident, entries: list[IncidentEntry]) -> list[Update]:
    updates = [
        Update(getattr(incident, column), text)
        for column, text in _MILESTONES
        if getattr(incident, column) is not None
    ]
    updates += [Update(entry.at, str(entry.data.get("text", ""))) for entry in entries]
    # Newest first; of milestones at one instant (restored implies responded), the later one.
    return sorted(updates, key=lambda update: update.at)[::-1]
