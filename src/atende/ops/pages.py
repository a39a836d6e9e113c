"""Public pages: the status page (HTML and JSON) and the system's page (/about)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from atende.auth.principal import Principal
from atende.deps import DbSession, RuntimeDep, optional_principal
from atende.ops.about_service import AboutService
from atende.ops.jobs import ops_context
from atende.ops.rendering import render
from atende.ops.schemas import (
    ComponentOut,
    DayOut,
    MaintenanceOut,
    PublicIncidentOut,
    StatusPageOut,
    UpdateOut,
)
from atende.ops.status_service import StatusPage, StatusService

router = APIRouter(tags=["status"])


def status_out(page: StatusPage) -> StatusPageOut:
    return StatusPageOut(
        status=page.status.value,
        status_label=page.status.label,
        generated_at=page.generated_at,
        components=[
            ComponentOut(
                key=component.key,
                name=component.name,
                status=component.status.value,
                status_label=component.status.label,
                uptime_90d=component.uptime,
                days=[
                    DayOut(date=b.day, uptime=b.uptime, status=b.status.value)
                    for b in component.bars
                ],
            )
            for component in page.components
        ],
        incidents=[
            PublicIncidentOut(
                sid=incident.sid,
                title=incident.title,
                severity=incident.severity,
                status=incident.status,
                component=incident.component,
                opened_at=incident.opened_at,
                restored_at=incident.restored_at,
                updates=[UpdateOut(at=update.at, text=update.text) for update in incident.updates],
            )
            for incident in page.incidents
        ],
        maintenance=[MaintenanceOut.model_validate(window) for window in page.maintenance],
    )


@router.get("/status.json", response_model=StatusPageOut)
async def status_json(session: DbSession, runtime: RuntimeDep) -> StatusPageOut:
    return status_out(await StatusService(session, ops_context(runtime)).page())


@router.get("/status", response_class=HTMLResponse)
async def status_page(session: DbSession, runtime: RuntimeDep) -> HTMLResponse:
    context = ops_context(runtime)
    page = await StatusService(session, context).page()
    names = {component.key: component.name for component in page.components}
    html = render("status.html", page=page, zone=context.settings.timezone, names=names)
    return HTMLResponse(html)


@router.get("/about", response_class=HTMLResponse)
async def about_page(
    session: DbSession,
    runtime: RuntimeDep,
    who: Annotated[Principal | None, Depends(optional_principal)],
) -> HTMLResponse:
    """Public, but contacts' phones and e-mails only for people signed in."""
    page = await AboutService(session, ops_context(runtime)).page()
    return HTMLResponse(render("about.html", page=page, signed_in=who is not None))
