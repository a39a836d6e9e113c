"""`/v1/Workspaces/{WorkspaceSid}/TaskChannels` (addressed by SID or unique name)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from atende.taskrouter.errors import not_found
from atende.taskrouter.web.context import TaskRouter, created, no_content, respond
from atende.taskrouter.web.paging import page_body, page_request
from atende.taskrouter.web.representations import task_channel_json

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid}/TaskChannels")


@router.get("")
async def list_task_channels(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    paging = page_request(tr.query())
    rows = await tr.service.repo.task_channels(workspace_sid, paging)
    items = [task_channel_json(row, tr.urls) for row in rows]
    return respond(page_body(tr.request, "channels", rows, paging, items))


@router.post("")
async def create_task_channel(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.create_task_channel(
        workspace_sid,
        form.required_text("FriendlyName", max_length=64),
        form.required_text("UniqueName", max_length=64),
        form.boolean("ChannelOptimizedRouting"),
    )
    return created(task_channel_json(row, tr.urls))


@router.get("/{sid}")
async def fetch_task_channel(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    row = await tr.service.repo.task_channel(workspace_sid, sid)
    if row is None:
        raise not_found(f"/Workspaces/{workspace_sid}/TaskChannels/{sid}")
    return respond(task_channel_json(row, tr.urls))


@router.post("/{sid}")
async def update_task_channel(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.update_task_channel(
        workspace_sid,
        sid,
        form.text("FriendlyName", max_length=64),
        form.boolean("ChannelOptimizedRouting"),
    )
    return respond(task_channel_json(row, tr.urls))


@router.delete("/{sid}")
async def delete_task_channel(tr: TaskRouter, workspace_sid: str, sid: str) -> Response:
    await tr.owned(workspace_sid)
    await tr.service.delete_task_channel(workspace_sid, sid)
    return no_content()
