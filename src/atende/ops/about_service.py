"""The system's page (/about), generated from configuration: the catalog entry, the SLA in
force, support hours and the next closed days, the escalation list and the platform's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from atende.ops.calendar import CoverageCalendar
from atende.ops.catalog import Catalog, load_catalog
from atende.ops.config_service import SupportConfigService
from atende.ops.context import OpsContext
from atende.ops.report import format_duration
from atende.ops.repository import OpsRepository
from atende.ops.schemas import LevelOut
from atende.ops.settings import OpsSettings
from atende.ops.severity import Severity
from atende.ops.status_service import StatusService
from atende.ops.uptime import ComponentStatus

UPCOMING_DAYS = 60
WEEKDAYS = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")
SEVERITY_MEANING = {
    Severity.ALTA: "Mais de 10% dos usuários afetados, parada total do sistema ou emergência",
    Severity.MEDIA: "Mais de um usuário afetado, interrupção parcial ou qualidade e "
    "desempenho degradados",
    Severity.BAIXA: "Baixa complexidade, sem efeito sobre os usuários",
}


@dataclass(frozen=True)
class SlaRow:
    label: str
    meaning: str
    response: str
    restoration: str


@dataclass(frozen=True)
class ClosedDay:
    day: date
    reason: str


@dataclass(frozen=True)
class AboutPage:
    catalog: Catalog
    sla: list[SlaRow]
    hours: str
    closed_days: list[ClosedDay]
    escalation: list[LevelOut]
    allowed_domains: tuple[str, ...]
    status: ComponentStatus


class AboutService:
    def __init__(self, session: AsyncSession, context: OpsContext) -> None:
        self.session = session
        self.repo = OpsRepository(session)
        self.context = context

    async def page(self) -> AboutPage:
        settings = self.context.settings
        policy = await self.context.policy(self.repo)
        sla = [
            SlaRow(
                severity.label,
                SEVERITY_MEANING[severity],
                format_duration(policy.targets[severity].response),
                format_duration(policy.targets[severity].restoration),
            )
            for severity in Severity
        ]
        coverage = policy.calendar(policy.calendar_by_severity[Severity.ALTA])
        closed = self._closed_days(coverage) if isinstance(coverage, CoverageCalendar) else []
        return AboutPage(
            catalog=load_catalog(settings.about_file),
            sla=sla,
            hours=_hours_sentence(settings),
            closed_days=closed,
            escalation=await SupportConfigService(self.session).escalation_list(),
            allowed_domains=self.context.allowed_email_domains,
            status=(await StatusService(self.session, self.context).page()).status,
        )

    def _closed_days(self, calendar: CoverageCalendar) -> list[ClosedDay]:
        today = self.context.clock().astimezone(ZoneInfo(self.context.settings.timezone)).date()
        days = (today + timedelta(days=offset) for offset in range(UPCOMING_DAYS))
        return [
            ClosedDay(day, reason)
            for day in days
            if day.weekday() in calendar.hours.weekdays
            and (reason := calendar.closed_because(day)) is not None
        ]


def _hours_sentence(settings: OpsSettings) -> str:
    hours = settings.support_hours
    first, last = WEEKDAYS[min(hours.weekdays)], WEEKDAYS[max(hours.weekdays)]
    closes = "24:00" if hours.closes == time(0) else f"{hours.closes:%H:%M}"
    return (
        f"De {first} a {last}, das {hours.opens:%H:%M} às {closes} ({settings.timezone}), "
        f"exceto feriados nacionais, estaduais e municipais ({settings.holidays_subdivision}) "
        "e fechamentos da empresa. Fora desse horário, só em parada total do sistema, que "
        "conta 24 horas por dia."
    )
