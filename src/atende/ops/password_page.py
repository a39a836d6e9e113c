"""The page behind an approval e-mail's link: the person chooses a password once, then signs
in as usual. The token in the path is the credential, so the page needs no session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from atende.auth.password_setup import MIN_PASSWORD_LENGTH, PasswordSetup, SetupRefused
from atende.deps import DbSession
from atende.desk.i18n import LANGUAGE_COOKIE, Translator, choose
from atende.desk.rendering import render
from atende.ops.access_service import PASSWORD_SETUP_PATH
from atende.ops.jobs import ops_context
from atende.runtime import Runtime

router = APIRouter(prefix=PASSWORD_SETUP_PATH, include_in_schema=False)


def _page(
    request: Request, *, error: str = "", email: str = "", done: bool = False, status: int = 200
) -> Response:
    translator = Translator(choose(request.cookies.get(LANGUAGE_COOKIE)))
    return render(
        request,
        "ops_password_setup.html",
        translator,
        status_code=status,
        viewer=None,
        page="login",
        error=error,
        email=email,
        done=done,
        min_length=MIN_PASSWORD_LENGTH,
    )


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.get("/{token}")
async def password_form(token: str, request: Request, session: DbSession) -> Response:
    now = ops_context(_runtime(request)).clock()
    try:
        user = await PasswordSetup(session).user_for(token, now)
    except SetupRefused as refused:
        return _page(request, error=str(refused), status=410)
    return _page(request, email=user.email)


@router.post("/{token}")
async def set_password(
    token: str,
    request: Request,
    session: DbSession,
    password: Annotated[str, Form()] = "",
    confirmation: Annotated[str, Form()] = "",
) -> Response:
    now = ops_context(_runtime(request)).clock()
    setup = PasswordSetup(session)
    try:
        user = await setup.redeem(token, password, confirmation, now)
    except SetupRefused as refused:
        try:
            email = (await setup.user_for(token, now)).email
        except SetupRefused:
            return _page(request, error=str(refused), status=410)
        return _page(request, error=str(refused), email=email, status=422)
    return _page(request, email=user.email, done=True)
