"""`/v1/Workspaces/{WorkspaceSid}/Workers` and their channels (reservations and statistics are
in their own modules)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from atende.taskrouter.errors import invalid
from atende.taskrouter.web.context import TaskRouter, created, no_content, respond
from atende.taskrouter.web.paging import page_body, page_request
from atende.taskrouter.web.params import Params
from atende.taskrouter.web.representations import worker_channel_json, worker_json

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid}/Workers")


async def worker_filter(tr: TaskRouter, workspace_sid: str, query: Params) -> set[str] | None:
    """The SIDs `TargetWorkersExpression`, `TaskQueueSid` or `TaskQueueName` allow."""
    sids: set[str] | None = None
    expression = query.text("TargetWorkersExpression")
    if expression is not None:
        sids = await tr.service.workers_matching(workspace_sid, expression)
    queue_sid = query.text("TaskQueueSid")
    queue_name = query.text("TaskQueueName")
    if queue_name is not None and queue_sid is None:
        queue = await tr.service.repo.task_queue_by_name(workspace_sid, queue_name)
        if queue is None:
            raise invalid("TaskQueueName", f"no task queue named {queue_name!r}")
        queue_sid = queue.sid
    if queue_sid is not None:
        members = await tr.service.queue_members(workspace_sid, queue_sid)
        sids = members if sids is None else sids & members
    return sids


async def _activity_sid(tr: TaskRouter, workspace_sid: str, query: Params) -> str | None:
    """`ActivitySid`, or the SID `ActivityName` names; a name naming nothing yields a SID no
    worker has, so the list comes back empty as TaskRouter's does."""
    activity_sid = query.text("ActivitySid")
    name = query.text("ActivityName")
    if name is None or activity_sid is not None:
        return activity_sid
    engine = (await tr.service.peek(workspace_sid)).engine
    for activity in engine.activities.values():
        if activity.friendly_name == name:
            return activity.sid
    return "none"


@router.get("")
async def list_workers(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    query = tr.query()
    paging = page_request(query)
    order = query.text("Ordering")
    try:
        rows = await tr.service.repo.workers(
            workspace_sid,
            activity_sid=await _activity_sid(tr, workspace_sid, query),
            available=query.boolean("Available"),
            friendly_name=query.text("FriendlyName"),
            sids=await worker_filter(tr, workspace_sid, query),
            order=order,
            window=paging,
        )
    except ValueError:
        raise invalid("Ordering", f"{order!r} is not DateCreated or DateUpdated") from None
    names = await tr.names(workspace_sid)
    items = [worker_json(row, tr.urls, names) for row in rows]
    return respond(page_body(tr.request, "workers", rows, paging, items))


@router.post("")
async def create_worker(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.create_worker(
        workspace_sid,
        form.required_text("FriendlyName", max_length=64),
        activity_sid=form.sid("ActivitySid", "WA"),
        attributes=form.text("Attributes"),
    )
    return created(worker_json(row, tr.urls, await tr.names(workspace_sid)), row.version)


@router.get("/{sid}")
async def fetch_worker(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    row = await tr.service.worker(workspace_sid, sid)
    return respond(worker_json(row, tr.urls, await tr.names(workspace_sid)), row.version)


@router.post("/{sid}")
async def update_worker(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.update_worker(
        workspace_sid,
        sid,
        activity_sid=form.sid("ActivitySid", "WA"),
        attributes=form.text("Attributes"),
        friendly_name=form.text("FriendlyName", max_length=64),
        reject_pending_reservations=bool(form.boolean("RejectPendingReservations")),
        if_match=tr.if_match(),
    )
    return respond(worker_json(row, tr.urls, await tr.names(workspace_sid)), row.version)


@router.delete("/{sid}")
async def delete_worker(tr: TaskRouter, workspace_sid: str, sid: str) -> Response:
    await tr.owned(workspace_sid)
    await tr.service.delete_worker(workspace_sid, sid, if_match=tr.if_match())
    return no_content()


@router.get("/{worker_sid}/Channels")
async def list_worker_channels(tr: TaskRouter, workspace_sid: str, worker_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    await tr.service.worker(workspace_sid, worker_sid)
    paging = page_request(tr.query())
    rows = await tr.service.repo.worker_channels(workspace_sid, worker_sid, paging)
    names = await tr.names(workspace_sid)
    items = [
        worker_channel_json(
            row,
            tr.urls,
            names,
            await tr.service.channel_usage(workspace_sid, worker_sid, row.task_channel_sid),
        )
        for row in rows
    ]
    return respond(page_body(tr.request, "channels", rows, paging, items))


@router.get("/{worker_sid}/Channels/{sid}")
async def fetch_worker_channel(
    tr: TaskRouter, workspace_sid: str, worker_sid: str, sid: str
) -> JSONResponse:
    await tr.owned(workspace_sid)
    row = await tr.service.worker_channel(workspace_sid, worker_sid, sid)
    usage = await tr.service.channel_usage(workspace_sid, worker_sid, row.task_channel_sid)
    return respond(worker_channel_json(row, tr.urls, await tr.names(workspace_sid), usage))


@router.post("/{worker_sid}/Channels/{sid}")
async def update_worker_channel(
    tr: TaskRouter, workspace_sid: str, worker_sid: str, sid: str
) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.update_worker_channel(
        workspace_sid,
        worker_sid,
        sid,
        capacity=form.integer("Capacity", minimum=0, maximum=50),
        available=form.boolean("Available"),
    )
    usage = await tr.service.channel_usage(workspace_sid, worker_sid, row.task_channel_sid)
    return respond(worker_channel_json(row, tr.urls, await tr.names(workspace_sid), usage))
