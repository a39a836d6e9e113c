"""Access requests over HTTP: the public form at /access and the admins' decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse

from atende.auth.models import Role
from atende.deps import Admin, DbSession, RuntimeDep
from atende.errors import Problem
from atende.ops.access_service import ROLE_LABELS, AccessForm, AccessRefused, AccessService
from atende.ops.jobs import ops_context
from atende.ops.rendering import render
from atende.ops.repository import OpsRepository
from atende.ops.schemas import AccessDecision, AccessRequestOut

router = APIRouter(tags=["access"])

EMPTY_FORM = AccessForm(name="", email="", team="", role_wanted=Role.AGENT.value, reason="")


def _page(runtime: RuntimeDep, form: AccessForm, *, error: str = "", done: bool = False) -> str:
    return render(
        "access.html",
        form=form,
        error=error,
        done=done,
        domains=ops_context(runtime).allowed_email_domains,
        roles=[(role.value, label) for role, label in ROLE_LABELS.items()],
    )


@router.get("/access", response_class=HTMLResponse)
async def access_form(runtime: RuntimeDep) -> HTMLResponse:
    return HTMLResponse(_page(runtime, EMPTY_FORM))


@router.post("/access", response_class=HTMLResponse)
async def request_access(
    session: DbSession,
    runtime: RuntimeDep,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    role_wanted: Annotated[str, Form()] = Role.AGENT.value,
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    form = AccessForm(name=name, email=email, team=team, role_wanted=role_wanted, reason=reason)
    try:
        await AccessService(session, ops_context(runtime)).submit(form)
    except AccessRefused as refused:
        return HTMLResponse(_page(runtime, form, error=str(refused)), status_code=422)
    return HTMLResponse(_page(runtime, form, done=True), status_code=201)


@router.get("/api/access-requests", response_model=list[AccessRequestOut])
async def list_requests(
    session: DbSession, _who: Admin, status: str | None = None
) -> list[AccessRequestOut]:
    rows = await OpsRepository(session).access_requests(status)
    return [AccessRequestOut.model_validate(row) for row in rows]


@router.post("/api/access-requests/{request_id}/approve", response_model=AccessRequestOut)
async def approve(
    request_id: int,
    session: DbSession,
    runtime: RuntimeDep,
    who: Admin,
    body: AccessDecision | None = None,
) -> AccessRequestOut:
    body = body or AccessDecision()
    role = _role(body.role)
    service = AccessService(session, ops_context(runtime))
    return AccessRequestOut.model_validate(
        await service.approve(request_id, who.name, role, body.note, sso="oidc" in runtime.services)
    )


@router.post("/api/access-requests/{request_id}/deny", response_model=AccessRequestOut)
async def deny(
    request_id: int,
    session: DbSession,
    runtime: RuntimeDep,
    who: Admin,
    body: AccessDecision | None = None,
) -> AccessRequestOut:
    body = body or AccessDecision()
    service = AccessService(session, ops_context(runtime))
    return AccessRequestOut.model_validate(await service.deny(request_id, who.name, body.note))


def _role(value: str | None) -> Role | None:
    if value is None:
        return None
    try:
        return Role(value)
    except ValueError:
        raise Problem(422, "Invalid decision", f"role: unknown role {value!r}") from None
