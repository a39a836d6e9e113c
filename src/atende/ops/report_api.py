"""The monthly SLA report over HTTP, for the desk: JSON, HTML, CSV or PDF."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from atende.deps import DbSession, RuntimeDep, Supervisor
from atende.errors import Problem
from atende.ops import report_render
from atende.ops.jobs import ops_context
from atende.ops.report import ClockFigures, Month, MonthlyReport
from atende.ops.report_service import ReportService
from atende.ops.schemas import BreachOut, ClockFiguresOut, MonthlyReportOut, SeverityFiguresOut

router = APIRouter(prefix="/api/reports", tags=["reports"])


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _clock(figures: ClockFigures) -> ClockFiguresOut:
    return ClockFiguresOut(
        target_seconds=figures.target.total_seconds(),
        met=figures.met,
        breached=figures.breached,
        pending=figures.pending,
        share_within=figures.share_within,
        mean_seconds=_seconds(figures.mean),
        median_seconds=_seconds(figures.median),
    )


def report_out(report: MonthlyReport) -> MonthlyReportOut:
    return MonthlyReportOut(
        month=str(report.month),
        incidents=report.incidents,
        severities=[
            SeverityFiguresOut(
                severity=row.severity,
                label=row.severity.label,
                incidents=row.incidents,
                response=_clock(row.response),
                restoration=_clock(row.restoration),
            )
            for row in report.severities
        ],
        breaches=[
            BreachOut(
                sid=breach.sid,
                title=breach.title,
                severity=breach.severity,
                clock=breach.clock.value,
                breached_by_seconds=breach.breached_by.total_seconds(),
                reason=breach.reason,
            )
            for breach in report.breaches
        ],
        generated_at=report.generated_at,
    )


@router.get("/sla", response_model=MonthlyReportOut)
async def sla_report(
    session: DbSession,
    runtime: RuntimeDep,
    _who: Supervisor,
    month: Annotated[str, Query(description="e.g. 2026-10")],
    format: Literal["json", "html", "csv", "pdf"] = "json",
) -> Response | MonthlyReportOut:
    try:
        chosen = Month.parse(month)
    except ValueError as exc:
        raise Problem(422, "Invalid request", f"month: {exc}") from None
    report = await ReportService(session, ops_context(runtime)).monthly(chosen)
    name = f"sla-{chosen}"
    if format == "html":
        return Response(report_render.html(report), media_type="text/html; charset=utf-8")
    if format == "csv":
        return Response(
            report_render.summary_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "pdf":
        return Response(
            report_render.pdf(report),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return report_out(report)
