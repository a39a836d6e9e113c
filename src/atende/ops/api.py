"""HTTP layer of the operations domain: the incidents API and, through included routers, the
support configuration, the status page, access requests, the SLA report and the about page."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import IntegrityError

from atende.deps import AnyUser, DbSession, RuntimeDep, Supervisor
from atende.ops import access_api, config_api, desk_pages, pages, password_page, report_api
from atende.ops.config_service import SupportConfigService
from atende.ops.context import SERVICE_KEY, OpsContext
from atende.ops.health_monitor import run_health_checks
from atende.ops.jobs import ops_context, run_deliveries, run_escalations
from atende.ops.schemas import (
    Action,
    CalendarChange,
    CommentIn,
    EntryOut,
    EscalateIn,
    ImpactChange,
    IncidentCreate,
    IncidentOut,
    IncidentUpdate,
    PauseAction,
    SeverityChange,
    SlaOut,
)
from atende.ops.service import IncidentService, IncidentView
from atende.ops.settings import OpsSettings
from atende.ops.timeline import EntryKind
from atende.runtime import Runtime

router = APIRouter()
incidents = APIRouter(prefix="/api/incidents", tags=["incidents"])


def setup(runtime: Runtime) -> None:
    settings = OpsSettings.from_env(timezone=runtime.settings.timezone)
    runtime.services[SERVICE_KEY] = OpsContext(
        settings,
        public_url=runtime.settings.public_url,
        allowed_email_domains=runtime.settings.allowed_email_domains,
    )
    runtime.on_start(lambda: _ensure_defaults(runtime))
    runtime.add_job("ops.escalations", lambda: run_escalations(runtime))
    runtime.add_job("ops.notifications", lambda: run_deliveries(runtime))
    runtime.add_job("ops.health", lambda: run_health_checks(runtime))


async def _ensure_defaults(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        await SupportConfigService(session).ensure_defaults()
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()  # another node starting at the same time seeded them


async def context_of(runtime: RuntimeDep) -> OpsContext:
    return ops_context(runtime)


ContextDep = Annotated[OpsContext, Depends(context_of)]


async def incident_service(session: DbSession, context: ContextDep) -> IncidentService:
    return IncidentService(session, context)


Service = Annotated[IncidentService, Depends(incident_service)]


def incident_out(view: IncidentView, *, timeline: bool = False) -> IncidentOut:
    incident = view.incident
    out = IncidentOut.model_validate(
        {
            **{
                name: getattr(incident, name)
                for name in IncidentOut.model_fields
                if name not in ("sla", "timeline")
            },
            "sla": SlaOut.of(view.sla),
        }
    )
    if timeline:
        out.timeline = [EntryOut.model_validate(entry) for entry in view.entries]
    return out


@incidents.post("", status_code=201, response_model=IncidentOut)
async def open_incident(form: IncidentCreate, service: Service, who: AnyUser) -> IncidentOut:
    return incident_out(await service.open(form, who.name), timeline=True)


@incidents.get("", response_model=list[IncidentOut])
async def list_incidents(
    service: Service,
    _who: AnyUser,
    status: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI reads the default
    component: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[IncidentOut]:
    views = await service.incidents(statuses=status, component=component, limit=limit)
    return [incident_out(view) for view in views]


@incidents.get("/{sid}", response_model=IncidentOut)
async def get_incident(
    sid: str, service: Service, _who: AnyUser, at: datetime | None = None
) -> IncidentOut:
    """`at` reads the clocks as they were (or will be, if nothing changes) at that instant."""
    return incident_out(await service.view(sid, at), timeline=True)


@incidents.patch("/{sid}", response_model=IncidentOut)
async def update_incident(
    sid: str, changes: IncidentUpdate, service: Service, who: Supervisor
) -> IncidentOut:
    return incident_out(await service.update(sid, changes, who.name), timeline=True)


async def _act(
    service: IncidentService,
    sid: str,
    kind: EntryKind,
    actor: str,
    body: Action | None,
    **data: object,
) -> IncidentOut:
    body = body or Action()
    if body.reason:
        data["reason"] = body.reason
    view = await service.act(sid, kind, actor, at=body.at, data=data)
    return incident_out(view, timeline=True)


@incidents.post("/{sid}/start-response", response_model=IncidentOut)
async def start_response(
    sid: str, service: Service, who: Supervisor, body: Action | None = None
) -> IncidentOut:
    return await _act(service, sid, EntryKind.RESPONSE_STARTED, who.name, body)


@incidents.post("/{sid}/restore", response_model=IncidentOut)
async def restore(
    sid: str, service: Service, who: Supervisor, body: Action | None = None
) -> IncidentOut:
    return await _act(service, sid, EntryKind.RESTORED, who.name, body)


@incidents.post("/{sid}/resolve", response_model=IncidentOut)
async def resolve(
    sid: str, service: Service, who: Supervisor, body: Action | None = None
) -> IncidentOut:
    return await _act(service, sid, EntryKind.RESOLVED, who.name, body)


@incidents.post("/{sid}/close", response_model=IncidentOut)
async def close(
    sid: str, service: Service, who: Supervisor, body: Action | None = None
) -> IncidentOut:
    return await _act(service, sid, EntryKind.CLOSED, who.name, body)


@incidents.post("/{sid}/reopen", response_model=IncidentOut)
async def reopen(
    sid: str, service: Service, who: Supervisor, body: Action | None = None
) -> IncidentOut:
    return await _act(service, sid, EntryKind.REOPENED, who.name, body)


@incidents.post("/{sid}/pause", response_model=IncidentOut)
async def pause(sid: str, body: PauseAction, service: Service, who: Supervisor) -> IncidentOut:
    return await _act(service, sid, EntryKind.PAUSED, who.name, body)


@incidents.post("/{sid}/resume", response_model=IncidentOut)
async def resume(
    sid: str, service: Service, who: Supervisor, body: Action | None = None
) -> IncidentOut:
    return await _act(service, sid, EntryKind.RESUMED, who.name, body)


@incidents.post("/{sid}/severity", response_model=IncidentOut)
async def change_severity(
    sid: str, body: SeverityChange, service: Service, who: Supervisor
) -> IncidentOut:
    return await _act(
        service, sid, EntryKind.SEVERITY_CHANGED, who.name, body, severity=body.severity.value
    )


@incidents.post("/{sid}/impact", response_model=IncidentOut)
async def change_impact(
    sid: str, body: ImpactChange, service: Service, who: Supervisor
) -> IncidentOut:
    return await _act(
        service, sid, EntryKind.TOTAL_OUTAGE_CHANGED, who.name, body, total_outage=body.total_outage
    )


@incidents.post("/{sid}/calendar", response_model=IncidentOut)
async def change_calendar(
    sid: str, body: CalendarChange, service: Service, who: Supervisor
) -> IncidentOut:
    return await _act(
        service, sid, EntryKind.CALENDAR_CHANGED, who.name, body, calendar=body.calendar
    )


@incidents.post("/{sid}/comments", response_model=IncidentOut, status_code=201)
async def comment(sid: str, body: CommentIn, service: Service, who: AnyUser) -> IncidentOut:
    view = await service.act(
        sid, EntryKind.COMMENT, who.name, at=body.at, data={"text": body.text}, public=body.public
    )
    return incident_out(view, timeline=True)


@incidents.post("/{sid}/escalate", response_model=IncidentOut)
async def escalate(sid: str, body: EscalateIn, service: Service, who: Supervisor) -> IncidentOut:
    return incident_out(await service.escalate(sid, who.name, body.reason), timeline=True)


@incidents.post("/{sid}/acknowledge", response_model=IncidentOut)
async def acknowledge(sid: str, service: Service, who: AnyUser) -> IncidentOut:
    return incident_out(await service.acknowledge(sid, who.name, "desk"), timeline=True)


@incidents.get("/ack/{token}", response_class=HTMLResponse, include_in_schema=False)
async def acknowledge_link(token: str, service: Service) -> HTMLResponse:
    """The link in an escalation e-mail: the token itself is the credential."""
    view = await service.acknowledge_token(token)
    title = view.incident.title
    return HTMLResponse(
        f"<!doctype html><html lang='pt-BR'><meta charset='utf-8'><title>Atende</title>"
        f"<p>Recebimento confirmado: {escape(title)} ({view.incident.sid}).</p></html>"
    )


router.include_router(incidents)
router.include_router(config_api.router)
router.include_router(pages.router)
router.include_router(access_api.router)
router.include_router(report_api.router)
router.include_router(desk_pages.router)
router.include_router(password_page.router)
