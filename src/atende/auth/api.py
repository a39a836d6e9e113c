"""Signing in and out of the desk: local passwords, OIDC single sign-on, sign-out everywhere.

The sign-in page itself belongs to the desk; these routes only take its form and answer with
a redirect, carrying a short error code (`?error=invalid`) the page turns into words in the
reader's language."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from atende.auth.models import Role, User
from atende.auth.oidc import FLOW_COOKIE, OidcLogin, OidcSettings, SsoError, seal, unseal
from atende.auth.principal import Principal
from atende.auth.repository import AuthRepository
from atende.auth.service import SESSION_LIFETIME, AuthError, AuthService
from atende.db.base import utcnow
from atende.deps import SESSION_COOKIE, DbSession, RuntimeDep, optional_principal
from atende.errors import Problem
from atende.runtime import Runtime

router = APIRouter(tags=["sign-in"])

HOME_BY_ROLE = {Role.AGENT: "/agent", Role.SUPERVISOR: "/supervisor", Role.ADMIN: "/admin"}
SSO_CALLBACK = "/login/sso/callback"

OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def setup(runtime: Runtime) -> None:
    oidc = OidcSettings.from_env()
    if oidc is not None:
        runtime.services["oidc"] = OidcLogin(oidc)


def home_for(role: Role) -> str:
    return HOME_BY_ROLE[role]


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: an open redirect would let a phishing link borrow our login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _login_redirect(error: str, email: str = "", next_path: str | None = None) -> Response:
    query = {"error": error, **({"email": email} if email else {})}
    if next_path:
        query["next"] = next_path
    return RedirectResponse(f"/login?{urlencode(query)}", status_code=303)


def _secure(runtime: Runtime) -> bool:
    return runtime.settings.public_url.startswith("https://")


def _signed_in(runtime: Runtime, user: User, token: str, next_path: str | None) -> Response:
    response = RedirectResponse(next_path or home_for(Role(user.role)), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(runtime),
        path="/",
    )
    return response


def _same_origin(request: Request) -> bool:
    """The sign-in form has no session yet, so no CSRF token: check where the post came from."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


@router.post("/login", include_in_schema=False)
async def sign_in(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    target = safe_next(next_path)
    if not _same_origin(request):
        raise Problem(403, "Forbidden", "sign-in form posted from another site")
    email = email.strip().lower()
    if not email or not password:
        return _login_redirect("missing", email, target)
    if not runtime.settings.email_allowed(email):
        return _login_redirect("domain", email, target)
    auth = AuthService(session)
    try:
        user, token = await auth.sign_in(email, password)
    except AuthError:
        # The failed attempt was counted; the request's commit keeps it.
        return _login_redirect(await _failure_reason(session, email), email, target)
    return _signed_in(runtime, user, token, target)


async def _failure_reason(session: DbSession, email: str) -> str:
    user = await AuthRepository(session).user_by_email(email)
    if user is not None and user.locked_until is not None and user.locked_until > utcnow():
        return "locked"
    return "invalid"


def _signed_out() -> Response:
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/logout", include_in_schema=False)
async def sign_out(request: Request, session: DbSession, principal: OptionalPrincipal) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if principal is not None and cookie:
        await AuthService(session).sign_out(cookie)
    return _signed_out()


@router.post("/logout/everywhere", include_in_schema=False)
async def sign_out_everywhere(session: DbSession, principal: OptionalPrincipal) -> Response:
    """Ends every session of this person: the lost laptop, the shared PC, this browser."""
    if principal is not None and principal.user_id is not None:
        await AuthService(session).sign_out_everywhere(principal.user_id)
    return _signed_out()


def _oidc(runtime: Runtime) -> OidcLogin:
    login: OidcLogin | None = runtime.services.get("oidc")
    if login is None:
        raise Problem(404, "Not Found", "single sign-on is not configured")
    return login


def _callback_url(runtime: Runtime) -> str:
    return runtime.settings.public_url.rstrip("/") + SSO_CALLBACK


@router.get("/login/sso", include_in_schema=False)
async def sso_start(runtime: RuntimeDep, next_path: str | None = None) -> Response:
    login = _oidc(runtime)
    try:
        started = await login.start(_callback_url(runtime))
    except SsoError:
        return _login_redirect("sso")
    flow = {
        "state": started.state,
        "nonce": started.nonce,
        "verifier": started.code_verifier,
        "next": safe_next(next_path) or "",
    }
    response = RedirectResponse(started.url, status_code=302)
    response.set_cookie(
        FLOW_COOKIE,
        seal(flow, runtime.settings.secret_key),
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=_secure(runtime),
        path="/login/sso",
    )
    return response


@router.get(SSO_CALLBACK, include_in_schema=False)
async def sso_callback(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    code: str = "",
    state: str = "",
) -> Response:
    login = _oidc(runtime)
    flow = unseal(request.cookies.get(FLOW_COOKIE, ""), runtime.settings.secret_key)
    if flow is None or not state or flow.get("state") != state or not code:
        return _login_redirect("sso")
    try:
        identity = await login.finish(
            code, _callback_url(runtime), nonce=flow["nonce"], code_verifier=flow["verifier"]
        )
    except SsoError:
        return _login_redirect("sso")
    if not runtime.settings.email_allowed(identity.email):
        return _login_redirect("domain", identity.email)
    user = await AuthRepository(session).user_by_email(identity.email)
    if user is None or not user.active:
        return _login_redirect("unknown", identity.email)
    token = await AuthService(session).open_session(user)
    response = _signed_in(runtime, user, token, safe_next(flow.get("next")))
    response.delete_cookie(FLOW_COOKIE, path="/login/sso")
    return response
