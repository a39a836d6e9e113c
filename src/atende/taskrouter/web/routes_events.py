"""`/v1/Workspaces/{WorkspaceSid}/Events`: the stored event log, newest first."""

from __future__ import annotations

import functools

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from atende.events.repository import EventRepository
from atende.taskrouter.errors import not_found
from atende.taskrouter.web.context import TaskRouter, respond
from atende.taskrouter.web.paging import page_body, page_request
from atende.taskrouter.web.representations import event_json

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid}/Events")

MAX_MINUTES = 43_200


@router.get("")
async def list_events(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    query = tr.query()
    paging = page_request(query)
    repository = EventRepository(tr.service.session)
    sid = query.text("Sid")
    if sid is not None:  # one event by its SID, as a list
        row = await repository.get(sid)
        found = [row] if row is not None and row.workspace_sid == workspace_sid else []
        items = [event_json(event, tr.urls) for event in found[paging.offset :]]
        return respond(page_body(tr.request, "events", found[paging.offset :], paging, items))
    fetch = functools.partial(
        repository.list_events,
        workspace_sid,
        event_type=query.text("EventType"),
        task_sid=query.text("TaskSid"),
        worker_sid=query.text("WorkerSid"),
        reservation_sid=query.text("ReservationSid"),
        task_queue_sid=query.text("TaskQueueSid"),
        workflow_sid=query.text("WorkflowSid"),
        task_channel=query.text("TaskChannel"),
        start=query.timestamp("StartDate"),
        end=query.timestamp("EndDate"),
        minutes=query.integer("Minutes", minimum=1, maximum=MAX_MINUTES),
    )
    rows = await fetch(page_size=paging.page_size, page=paging.page)
    # One row past the page tells whether there is a next page.
    after = await fetch(page_size=1, page=(paging.page + 1) * paging.page_size)
    items = [event_json(row, tr.urls) for row in rows]
    return respond(page_body(tr.request, "events", [*rows, *after], paging, items))


@router.get("/{sid}")
async def fetch_event(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    row = await EventRepository(tr.service.session).get(sid)
    if row is None or row.workspace_sid != workspace_sid:
        raise not_found(f"/Workspaces/{workspace_sid}/Events/{sid}")
    return respond(event_json(row, tr.urls))
