"""FastAPI dependencies every domain's HTTP layer shares: the runtime, the session, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.models import Role
from atende.auth.principal import Principal
from atende.auth.service import AuthService
from atende.errors import Problem
from atende.runtime import Runtime

SESSION_COOKIE = "atende_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    """Async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
    on every request."""
    return runtime_of(request)


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the request boundary commits once, or rolls back on error."""
    async with runtime_of(request).sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
# scope="function": the commit happens before the response is sent, so a client that got its
# answer always finds the change stored (durable before acknowledged).
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]


async def optional_principal(request: Request, session: DbSession) -> Principal | None:
    """A bearer token (API clients) or a session cookie (the desk); cookies need a CSRF header."""
    auth = AuthService(session)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return await auth.principal_for_token(header[7:].strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    principal = await auth.principal_for_session(cookie)
    if principal is not None and request.method in UNSAFE_METHODS:
        sent = request.headers.get("x-csrf-token") or request.query_params.get("csrf_token")
        if sent != principal.csrf_token:
            form_token = await _form_csrf(request)
            if form_token != principal.csrf_token:
                raise Problem(403, "Forbidden", "missing or wrong CSRF token")
    return principal


async def _form_csrf(request: Request) -> str | None:
    if "form" not in request.headers.get("content-type", ""):
        return None
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else None


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Problem(401, "Unauthorized", "sign in or send a valid bearer token")
    return principal


def require_role(role: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def dependency(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if not principal.at_least(role):
            raise Problem(403, "Forbidden", f"this needs the {role.value} role")
        return principal

    return dependency


AnyUser = Annotated[Principal, Depends(current_principal)]
Supervisor = Annotated[Principal, Depends(require_role(Role.SUPERVISOR))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
