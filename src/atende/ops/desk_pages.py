"""The operations screens of the desk: incidents with their SLA clocks, the escalation list,
access requests and the monthly SLA report. Pages are rendered on the server from the same
services the JSON API uses; their buttons call that API from ops.js, so there is one set of
rules and one audit trail whichever way a change arrives."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from atende.auth.models import Role
from atende.db.base import utcnow
from atende.deps import AnyUser, DbSession, RuntimeDep
from atende.desk.i18n import catalog
from atende.desk.pages import Viewer, ViewerDep
from atende.desk.rendering import render
from atende.ops import report_render
from atende.ops.jobs import ops_context
from atende.ops.report import Month
from atende.ops.report_service import ReportService
from atende.ops.repository import OpsRepository
from atende.ops.service import IncidentService, IncidentView
from atende.ops.severity import Impact, Severity, propose_severity
from atende.ops.sla import ClockState, ClockStatus

router = APIRouter(prefix="/ops", include_in_schema=False)

OPEN_STATUSES = ("open", "in_progress", "restored")


@dataclass(frozen=True)
class ClockRow:
    """One SLA clock as the screen shows it, in the operation's zone."""

    name: str
    state: str
    due: str
    elapsed: str
    remaining: str
    breached_by: str
    consumed_pct: int


def duration(value: timedelta) -> str:
    """Business time as '1 h 05 min': the contract speaks in hours and minutes."""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(abs(minutes), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def local(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else "—"


def clock_row(clock: ClockStatus, zone: ZoneInfo) -> ClockRow:
    return ClockRow(
        name=clock.name.value,
        state=clock.state.value,
        due=local(clock.due_at, zone),
        elapsed=duration(clock.elapsed),
        remaining="—" if clock.state is ClockState.MET else duration(clock.remaining),
        breached_by=duration(clock.breached_by) if clock.breached_by else "",
        consumed_pct=min(100, round(clock.consumed * 100)),
    )


def _to_login(request: Request) -> Response:
    return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)


def _page(
    request: Request,
    viewer: Viewer,
    template: str,
    *,
    role: Role = Role.SUPERVISOR,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """Supervisors read, admins act: the action buttons are only on admins' pages."""
    principal = viewer.principal
    if principal is None:
        return _to_login(request)
    if not principal.at_least(role):
        return render(
            request,
            "forbidden.html",
            viewer.translator,
            status_code=403,
            viewer=viewer,
            page="forbidden",
            config={"csrf": principal.csrf_token},
        )
    return render(
        request,
        template,
        viewer.translator,
        status_code=status_code,
        viewer=viewer,
        page="ops",
        config={
            "csrf": principal.csrf_token,
            "lang": viewer.translator.language,
            "messages": {
                key: text
                for key, text in catalog(viewer.translator.language).items()
                if key.startswith("ops.sev.")
            },
        },
        is_admin=principal.at_least(Role.ADMIN),
        **context,
    )


@router.get("")
async def incidents_page(
    request: Request,
    viewer: ViewerDep,
    session: DbSession,
    runtime: RuntimeDep,
    show: str = "open",
    severity: str = "",
) -> Response:
    context = ops_context(runtime)
    zone = ZoneInfo(context.settings.timezone)
    statuses = list(OPEN_STATUSES) if show == "open" else []
    views = await IncidentService(session, context).incidents(statuses=statuses, limit=200)
    if severity:
        views = [view for view in views if view.incident.severity == severity]
    rows = [
        {
            "incident": view.incident,
            "opened": local(view.incident.opened_at, zone),
            "response": clock_row(view.sla.response, zone),
            "restoration": clock_row(view.sla.restoration, zone),
        }
        for view in views
    ]
    return _page(
        request,
        viewer,
        "ops_incidents.html",
        rows=rows,
        show=show,
        severity=severity,
        severities=[s.value for s in Severity],
    )


@router.get("/incidents/new")
async def new_incident_page(request: Request, viewer: ViewerDep) -> Response:
    return _page(
        request,
        viewer,
        "ops_new_incident.html",
        role=Role.ADMIN,
        severities=[s.value for s in Severity],
    )


@router.get("/severity-proposal")
async def severity_proposal(
    _who: AnyUser,
    affected_users_pct: Annotated[float, Query(ge=0, le=100)] = 0.0,
    total_outage: bool = False,
    emergency: bool = False,
    partial_interruption: bool = False,
    degraded: bool = False,
) -> JSONResponse:
    """The new-incident form asks as the person types, so the rule lives only in severity.py."""
    proposal = propose_severity(
        Impact(
            affected_users_pct=affected_users_pct,
            total_outage=total_outage,
            emergency=emergency,
            partial_interruption=partial_interruption,
            degraded=degraded,
        )
    )
    return JSONResponse({"severity": proposal.severity.value, "reason": proposal.reason})


def _entry_rows(view: IncidentView, zone: ZoneInfo) -> list[dict[str, Any]]:
    return [
        {"at": local(entry.at, zone), "kind": entry.kind, "actor": entry.actor, "data": entry.data}
        for entry in sorted(view.entries, key=lambda entry: (entry.at, entry.id))
    ]


@router.get("/incidents/{sid}")
async def incident_page(
    sid: str, request: Request, viewer: ViewerDep, session: DbSession, runtime: RuntimeDep
) -> Response:
    if viewer.principal is None:
        return _to_login(request)
    context = ops_context(runtime)
    zone = ZoneInfo(context.settings.timezone)
    view = await IncidentService(session, context).view(sid)
    return _page(
        request,
        viewer,
        "ops_incident.html",
        incident=view.incident,
        sla=view.sla,
        clocks=[clock_row(view.sla.response, zone), clock_row(view.sla.restoration, zone)],
        entries=_entry_rows(view, zone),
        opened=local(view.incident.opened_at, zone),
        now=local(utcnow(), zone),
        zone=context.settings.timezone,
        severities=[s.value for s in Severity],
    )


@router.get("/escalation")
async def escalation_page(request: Request, viewer: ViewerDep, session: DbSession) -> Response:
    repo = OpsRepository(session)
    levels = await repo.escalation_levels()
    contacts = await repo.escalation_contacts()
    rows = [{"level": level, "contacts": contacts.get(level.id, [])} for level in levels]
    return _page(request, viewer, "ops_escalation.html", levels=rows)


@router.get("/access")
async def access_page(
    request: Request, viewer: ViewerDep, session: DbSession, runtime: RuntimeDep
) -> Response:
    zone = ZoneInfo(ops_context(runtime).settings.timezone)
    pending = await OpsRepository(session).access_requests("pending")
    rows = [{"request": row, "created": local(row.created_at, zone)} for row in pending]
    return _page(
        request,
        viewer,
        "ops_access.html",
        role=Role.ADMIN,
        rows=rows,
        roles=[role.value for role in Role],
    )


def _last_month(now: datetime, zone: ZoneInfo) -> str:
    first = now.astimezone(zone).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


@router.get("/report")
async def report_page(
    request: Request,
    viewer: ViewerDep,
    session: DbSession,
    runtime: RuntimeDep,
    month: str = "",
) -> Response:
    if viewer.principal is None:
        return _to_login(request)
    context = ops_context(runtime)
    zone = ZoneInfo(context.settings.timezone)
    chosen_text = month or _last_month(utcnow(), zone)
    try:
        chosen = Month.parse(chosen_text)
    except ValueError:
        return _page(
            request,
            viewer,
            "ops_report.html",
            status_code=422,
            month=chosen_text,
            report=None,
            chart="",
            error=True,
        )
    report = await ReportService(session, context).monthly(chosen)
    chart = base64.b64encode(report_render.chart_png(report)).decode("ascii")
    return _page(
        request,
        viewer,
        "ops_report.html",
        month=str(chosen),
        report=report,
        chart=f"data:image/png;base64,{chart}",
        error=False,
        minutes=duration,
    )
