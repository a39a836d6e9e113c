"""`/v1/Workspaces/{WorkspaceSid}/Activities`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from atende.taskrouter.errors import not_found
from atende.taskrouter.web.context import TaskRouter, created, no_content, respond
from atende.taskrouter.web.paging import page_body, page_request
from atende.taskrouter.web.representations import activity_json

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid}/Activities")


@router.get("")
async def list_activities(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    query = tr.query()
    paging = page_request(query)
    rows = await tr.service.repo.activities(
        workspace_sid, query.text("FriendlyName"), query.boolean("Available"), paging
    )
    items = [activity_json(row, tr.urls) for row in rows]
    return respond(page_body(tr.request, "activities", rows, paging, items))


@router.post("")
async def create_activity(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.create_activity(
        workspace_sid,
        form.required_text("FriendlyName", max_length=64),
        bool(form.boolean("Available")),
    )
    return created(activity_json(row, tr.urls))


@router.get("/{sid}")
async def fetch_activity(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    row = await tr.service.repo.activity(workspace_sid, sid)
    if row is None:
        raise not_found(f"/Workspaces/{workspace_sid}/Activities/{sid}")
    return respond(activity_json(row, tr.urls))


@router.post("/{sid}")
async def update_activity(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.update_activity(
        workspace_sid, sid, form.text("FriendlyName", max_length=64)
    )
    return respond(activity_json(row, tr.urls))


@router.delete("/{sid}")
async def delete_activity(tr: TaskRouter, workspace_sid: str, sid: str) -> Response:
    await tr.owned(workspace_sid)
    await tr.service.delete_activity(workspace_sid, sid)
    return no_content()
