"""Reading a month's incidents and their clocks into the monthly SLA report."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atende.ops.context import OpsContext
from atende.ops.report import IncidentOutcome, Month, MonthlyReport, build_report
from atende.ops.repository import OpsRepository
from atende.ops.severity import Severity
from atende.ops.sla import sla_status
from atende.ops.timeline import to_history


class ReportService:
    def __init__(self, session: AsyncSession, context: OpsContext) -> None:
        self.repo = OpsRepository(session)
        self.context = context

    async def monthly(self, month: Month) -> MonthlyReport:
        """Incidents opened in the month (local time), their clocks read as of now."""
        zone = self.context.settings.timezone
        start, end = month.bounds(zone)
        incidents = await self.repo.report_rows(start, end)
        entries = await self.repo.timeline_rows_opened_between(start, end)
        policy = await self.context.policy(self.repo)
        now = self.context.clock()
        outcomes = []
        for incident in incidents:
            sla = sla_status(to_history(entries[incident.id]), policy, now)
            outcomes.append(
                IncidentOutcome(
                    sid=incident.sid,
                    title=incident.title,
                    severity=Severity(incident.severity),
                    opened_at=incident.opened_at,
                    response=sla.response,
                    restoration=sla.restoration,
                    breach_reason=incident.breach_reason,
                )
            )
        return build_report(month, outcomes, policy, zone=zone, generated_at=now)
