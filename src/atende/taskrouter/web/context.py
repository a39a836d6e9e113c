"""The per-request context of the TaskRouter API: the caller's account, the service acting for
it, and the base of the URLs in responses. A workspace of another account is answered 404, as
if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from atende.deps import RuntimeDep
from atende.taskrouter.errors import not_found
from atende.taskrouter.event_records import Actor
from atende.taskrouter.service import TaskRouterService
from atende.taskrouter.web.auth import AccountSid, Session
from atende.taskrouter.web.params import Params
from atende.taskrouter.web.representations import Names, Urls


@dataclass
class Context:
    request: Request
    account_sid: str
    service: TaskRouterService
    urls: Urls

    async def owned(self, workspace_sid: str) -> None:
        """404 unless the workspace exists and is this account's (from memory when loaded)."""
        loaded = self.service.manager.loaded(workspace_sid)
        account: str | None
        if loaded is not None:
            account = loaded.account_sid
        else:
            row = await self.service.repo.workspace(workspace_sid)
            account = None if row is None else row.account_sid
        if account != self.account_sid:
            raise not_found(f"/Workspaces/{workspace_sid}")

    async def names(self, workspace_sid: str) -> Names:
        return await self.service.names(workspace_sid)

    def query(self) -> Params:
        return Params.from_query(self.request)

    async def body(self) -> Params:
        return await Params.from_body(self.request)

    def if_match(self) -> str | None:
        return self.request.headers.get("if-match")


async def context(
    request: Request, session: Session, runtime: RuntimeDep, account: AccountSid
) -> Context:
    base = str(request.base_url).rstrip("/")
    return Context(
        request=request,
        account_sid=account,
        service=TaskRouterService(session, runtime, Actor("account", account)),
        urls=Urls(base=base, account_sid=account),
    )


TaskRouter = Annotated[Context, Depends(context)]


def created(body: dict[str, Any], version: int | None = None) -> JSONResponse:
    return respond(body, version, status_code=201)


def respond(
    body: dict[str, Any], version: int | None = None, status_code: int = 200
) -> JSONResponse:
    """JSON with the resource's version as its ETag (what `If-Match` compares against)."""
    headers = {} if version is None else {"ETag": f'"{version}"'}
    return JSONResponse(body, status_code=status_code, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)
