"""`/v1/Workspaces/{WorkspaceSid}/Workflows`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from atende.taskrouter.errors import not_found
from atende.taskrouter.web.context import TaskRouter, created, no_content, respond
from atende.taskrouter.web.paging import page_body, page_request
from atende.taskrouter.web.representations import workflow_json

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid}/Workflows")

MAX_RESERVATION_TIMEOUT = 86_400


@router.get("")
async def list_workflows(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    query = tr.query()
    paging = page_request(query)
    rows = await tr.service.repo.workflows(workspace_sid, query.text("FriendlyName"), paging)
    items = [workflow_json(row, tr.urls) for row in rows]
    return respond(page_body(tr.request, "workflows", rows, paging, items))


@router.post("")
async def create_workflow(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.create_workflow(
        workspace_sid,
        form.required_text("FriendlyName", max_length=64),
        form.required_text("Configuration"),
        assignment_callback_url=form.url("AssignmentCallbackUrl"),
        fallback_assignment_callback_url=form.url("FallbackAssignmentCallbackUrl"),
        task_reservation_timeout=form.integer(
            "TaskReservationTimeout", minimum=1, maximum=MAX_RESERVATION_TIMEOUT
        ),
    )
    return created(workflow_json(row, tr.urls))


@router.get("/{sid}")
async def fetch_workflow(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    row = await tr.service.repo.workflow(workspace_sid, sid)
    if row is None:
        raise not_found(f"/Workspaces/{workspace_sid}/Workflows/{sid}")
    return respond(workflow_json(row, tr.urls))


@router.post("/{sid}")
async def update_workflow(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.update_workflow(
        workspace_sid,
        sid,
        friendly_name=form.text("FriendlyName", max_length=64),
        configuration=form.text("Configuration"),
        assignment_callback_url=form.url("AssignmentCallbackUrl"),
        fallback_assignment_callback_url=form.url("FallbackAssignmentCallbackUrl"),
        task_reservation_timeout=form.integer(
            "TaskReservationTimeout", minimum=1, maximum=MAX_RESERVATION_TIMEOUT
        ),
        re_evaluate_tasks=bool(form.boolean("ReEvaluateTasks")),
    )
    return respond(workflow_json(row, tr.urls))


@router.delete("/{sid}")
async def delete_workflow(tr: TaskRouter, workspace_sid: str, sid: str) -> Response:
    await tr.owned(workspace_sid)
    await tr.service.delete_workflow(workspace_sid, sid)
    return no_content()
