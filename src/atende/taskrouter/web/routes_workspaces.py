"""`/v1/Workspaces` and `/v1/Workspaces/{Sid}`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from atende.taskrouter.configuration_service import WorkspaceChanges
from atende.taskrouter.web.context import TaskRouter, created, no_content, respond
from atende.taskrouter.web.paging import page_body, page_request
from atende.taskrouter.web.representations import workspace_json

router = APIRouter()

QUEUE_ORDERS = ("FIFO", "LIFO")


@router.get("/v1/Workspaces")
async def list_workspaces(tr: TaskRouter) -> JSONResponse:
    query = tr.query()
    paging = page_request(query)
    rows = await tr.service.repo.workspaces(tr.account_sid, query.text("FriendlyName"), paging)
    items = [workspace_json(row, tr.urls, await tr.names(row.sid)) for row in rows]
    return respond(page_body(tr.request, "workspaces", rows, paging, items))


@router.post("/v1/Workspaces")
async def create_workspace(tr: TaskRouter) -> JSONResponse:
    form = await tr.body()
    row = await tr.service.create_workspace(
        tr.account_sid,
        form.required_text("FriendlyName", max_length=64),
        event_callback_url=form.url("EventCallbackUrl"),
        events_filter=form.text("EventsFilter"),
        multi_task_enabled=form.boolean("MultiTaskEnabled"),
        template=form.text("Template"),
        prioritize_queue_order=form.choice("PrioritizeQueueOrder", QUEUE_ORDERS),
    )
    return created(workspace_json(row, tr.urls, await tr.names(row.sid)))


@router.get("/v1/Workspaces/{sid}")
async def fetch_workspace(tr: TaskRouter, sid: str) -> JSONResponse:
    await tr.owned(sid)
    row = await tr.service.workspace_row(sid)
    return respond(workspace_json(row, tr.urls, await tr.names(sid)))


@router.post("/v1/Workspaces/{sid}")
async def update_workspace(tr: TaskRouter, sid: str) -> JSONResponse:
    await tr.owned(sid)
    form = await tr.body()
    changes = WorkspaceChanges(
        friendly_name=form.text("FriendlyName", max_length=64),
        event_callback_url=form.url("EventCallbackUrl"),
        events_filter=form.text("EventsFilter"),
        default_activity_sid=form.sid("DefaultActivitySid", "WA"),
        timeout_activity_sid=form.sid("TimeoutActivitySid", "WA"),
        multi_task_enabled=form.boolean("MultiTaskEnabled"),
        prioritize_queue_order=form.choice("PrioritizeQueueOrder", QUEUE_ORDERS),
    )
    row = await tr.service.update_workspace(sid, changes)
    return respond(workspace_json(row, tr.urls, await tr.names(sid)))


@router.delete("/v1/Workspaces/{sid}")
async def delete_workspace(tr: TaskRouter, sid: str) -> Response:
    await tr.owned(sid)
    await tr.service.delete_workspace(sid)
    return no_content()
