"""`/v1/Workspaces/{WorkspaceSid}/TaskQueues` (statistics are in `routes_statistics`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from atende.taskrouter.errors import invalid, not_found
from atende.taskrouter.web.context import TaskRouter, created, no_content, respond
from atende.taskrouter.web.paging import page_body, page_request
from atende.taskrouter.web.params import Params, parse_json_object
from atende.taskrouter.web.representations import task_queue_json

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid}/TaskQueues")

TASK_ORDERS = ("FIFO", "LIFO")


async def _queue_filter(tr: TaskRouter, workspace_sid: str, query: Params) -> set[str] | None:
    """`EvaluateWorkerAttributes` and `WorkerSid`: the queues such a worker would be in."""
    attributes = query.text("EvaluateWorkerAttributes")
    worker_sid = query.text("WorkerSid")
    if attributes is None and worker_sid is None:
        return None
    sids: set[str] | None = None
    if attributes is not None:
        parsed = parse_json_object("EvaluateWorkerAttributes", attributes)
        sids = await tr.service.queues_for_worker_attributes(workspace_sid, parsed)
    if worker_sid is not None:
        worker = await tr.service.repo.worker(workspace_sid, worker_sid)
        if worker is None:
            raise invalid("WorkerSid", f"no worker {worker_sid} in this workspace")
        engine = (await tr.service.peek(workspace_sid)).engine
        own = await tr.service.queues_for_worker_attributes(
            workspace_sid, engine.workers[worker_sid].attributes
        )
        sids = own if sids is None else sids & own
    return sids


@router.get("")
async def list_task_queues(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    query = tr.query()
    paging = page_request(query)
    order = query.text("Ordering")
    try:
        rows = await tr.service.repo.task_queues(
            workspace_sid,
            friendly_name=query.text("FriendlyName"),
            sids=await _queue_filter(tr, workspace_sid, query),
            order=order,
            window=paging,
        )
    except ValueError:
        raise invalid(
            "Ordering",
            f"{order!r} is not DateCreated, DateUpdated or FriendlyName with :asc or :desc",
        ) from None
    names = await tr.names(workspace_sid)
    items = [task_queue_json(row, tr.urls, names) for row in rows]
    return respond(page_body(tr.request, "task_queues", rows, paging, items))


@router.post("")
async def create_task_queue(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.create_task_queue(
        workspace_sid,
        form.required_text("FriendlyName", max_length=64),
        target_workers=form.text("TargetWorkers"),
        max_reserved_workers=form.integer("MaxReservedWorkers", minimum=1, maximum=50),
        task_order=form.choice("TaskOrder", TASK_ORDERS),
        reservation_activity_sid=form.sid("ReservationActivitySid", "WA"),
        assignment_activity_sid=form.sid("AssignmentActivitySid", "WA"),
    )
    return created(task_queue_json(row, tr.urls, await tr.names(workspace_sid)))


@router.get("/{sid}")
async def fetch_task_queue(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    row = await tr.service.repo.task_queue(workspace_sid, sid)
    if row is None:
        raise not_found(f"/Workspaces/{workspace_sid}/TaskQueues/{sid}")
    return respond(task_queue_json(row, tr.urls, await tr.names(workspace_sid)))


@router.post("/{sid}")
async def update_task_queue(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.update_task_queue(
        workspace_sid,
        sid,
        friendly_name=form.text("FriendlyName", max_length=64),
        target_workers=form.text("TargetWorkers"),
        max_reserved_workers=form.integer("MaxReservedWorkers", minimum=1, maximum=50),
        task_order=form.choice("TaskOrder", TASK_ORDERS),
        reservation_activity_sid=form.sid("ReservationActivitySid", "WA"),
        assignment_activity_sid=form.sid("AssignmentActivitySid", "WA"),
    )
    return respond(task_queue_json(row, tr.urls, await tr.names(workspace_sid)))


@router.delete("/{sid}")
async def delete_task_queue(tr: TaskRouter, workspace_sid: str, sid: str) -> Response:
    await tr.owned(workspace_sid)
    await tr.service.delete_task_queue(workspace_sid, sid)
    return no_content()
