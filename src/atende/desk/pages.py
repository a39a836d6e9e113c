"""The desk's HTML pages. Each checks the role itself: an agent who types /admin gets a
polite refusal, and someone signed out is sent to the sign-in page and brought back after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from atende.auth.api import home_for, safe_next
from atende.auth.models import Role, User
from atende.auth.principal import Principal
from atende.auth.repository import AuthRepository
from atende.deps import DbSession, RuntimeDep, optional_principal
from atende.desk.i18n import LANGUAGE_COOKIE, LANGUAGES, Translator, catalog, choose
from atende.desk.rendering import render

router = APIRouter(include_in_schema=False)

LOGIN_ERRORS = frozenset({"invalid", "locked", "domain", "missing", "sso", "unknown"})
ONE_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page and in which language."""

    principal: Principal | None
    user: User | None
    translator: Translator

    @property
    def name(self) -> str:
        if self.user is not None:
            return self.user.display_name or self.user.email
        return self.principal.name if self.principal else ""


async def get_viewer(
    request: Request,
    session: DbSession,
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Viewer:
    user = None
    if principal is not None and principal.user_id is not None:
        user = await AuthRepository(session).user(principal.user_id)
    language = choose(request.cookies.get(LANGUAGE_COOKIE), user.language if user else None)
    return Viewer(principal=principal, user=user, translator=Translator(language))


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


def _to_login(request: Request) -> Response:
    query = urlencode({"next": request.url.path})
    return RedirectResponse(f"/login?{query}", status_code=303)


def _page_config(viewer: Viewer, runtime: RuntimeDep, **extra: Any) -> dict[str, Any]:
    """What the page's script needs: identity, CSRF token, zone and the words it shows."""
    principal = viewer.principal
    return {
        "lang": viewer.translator.language,
        "timezone": runtime.settings.timezone,
        "csrf": principal.csrf_token if principal else None,
        "user": {"name": viewer.name, "role": principal.role.value if principal else None},
        "worker_sid": principal.worker_sid if principal else None,
        "workspace_sid": principal.workspace_sid if principal else None,
        "messages": catalog(viewer.translator.language),
        **extra,
    }


def _desk_page(
    request: Request,
    viewer: Viewer,
    runtime: RuntimeDep,
    role: Role,
    template: str,
    page: str,
    *,
    needs_worker: bool = False,
) -> Response:
    principal = viewer.principal
    if principal is None:
        return _to_login(request)
    refusal = None
    if not principal.at_least(role):
        refusal = "forbidden.body"
    elif needs_worker and not principal.worker_sid:
        refusal = "forbidden.no_worker"
    if refusal is not None:
        return render(
            request,
            "forbidden.html",
            viewer.translator,
            status_code=403,
            viewer=viewer,
            page="forbidden",
            reason=refusal,
        )
    return render(
        request,
        template,
        viewer.translator,
        viewer=viewer,
        page=page,
        config=_page_config(viewer, runtime, page=page),
    )


@router.get("/")
async def root(viewer: ViewerDep) -> Response:
    target = home_for(viewer.principal.role) if viewer.principal else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
async def login_page(
    request: Request,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    error: str | None = None,
    email: str = "",
    signed_out: str | None = None,
) -> Response:
    target = safe_next(request.query_params.get("next"))
    if viewer.principal is not None:
        return RedirectResponse(target or home_for(viewer.principal.role), status_code=303)
    return render(
        request,
        "login.html",
        viewer.translator,
        viewer=viewer,
        page="login",
        error=error if error in LOGIN_ERRORS else None,
        email=email,
        next_path=target or "",
        signed_out=bool(signed_out),
        sso_enabled="oidc" in runtime.services,
    )


@router.get("/agent")
async def agent_page(request: Request, viewer: ViewerDep, runtime: RuntimeDep) -> Response:
    return _desk_page(
        request, viewer, runtime, Role.AGENT, "agent.html", "agent", needs_worker=True
    )


@router.get("/supervisor")
async def supervisor_page(request: Request, viewer: ViewerDep, runtime: RuntimeDep) -> Response:
    return _desk_page(request, viewer, runtime, Role.SUPERVISOR, "supervisor.html", "supervisor")


@router.get("/admin")
async def admin_page(request: Request, viewer: ViewerDep, runtime: RuntimeDep) -> Response:
    return _desk_page(request, viewer, runtime, Role.ADMIN, "admin.html", "admin")


@router.post("/language")
async def choose_language(
    viewer: ViewerDep,
    lang: Annotated[str, Form()],
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Remembered in a cookie for the sign-in page and on the user for every browser."""
    language = choose(lang)
    if language in LANGUAGES and viewer.user is not None:
        viewer.user.language = language
    response = RedirectResponse(safe_next(next_path) or "/", status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR, samesite="lax", path="/")
    return response
