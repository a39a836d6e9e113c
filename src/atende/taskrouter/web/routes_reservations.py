"""Reservations, under their task (`/Tasks/{TaskSid}/Reservations`) and under their worker
(`/Workers/{WorkerSid}/Reservations`): the same resources with two addresses."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from atende.taskrouter.web.context import TaskRouter, respond
from atende.taskrouter.web.paging import page_body, page_request
from atende.taskrouter.web.params import Params
from atende.taskrouter.web.representations import reservation_json

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid}")

RESERVATION_STATUSES = (
    "pending",
    "accepted",
    "rejected",
    "timeout",
    "canceled",
    "rescinded",
    "wrapping",
    "completed",
)
_COMMAND_FIELDS = frozenset({"ReservationStatus", "WorkerActivitySid", "Instruction"})


async def _update(
    tr: TaskRouter,
    workspace_sid: str,
    sid: str,
    *,
    task_sid: str | None = None,
    worker_sid: str | None = None,
) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    instruction = form.text("Instruction")
    params = _instruction_params(form) if instruction else None
    row = await tr.service.update_reservation(
        workspace_sid,
        sid,
        task_sid=task_sid,
        worker_sid=worker_sid,
        status=form.choice("ReservationStatus", RESERVATION_STATUSES),
        worker_activity_sid=form.sid("WorkerActivitySid", "WA"),
        instruction=instruction,
        instruction_params=params,
        if_match=tr.if_match(),
    )
    names = await tr.names(workspace_sid)
    body = reservation_json(row, tr.urls, names, under_worker=worker_sid is not None)
    return respond(body, row.version)


def _instruction_params(form: Params) -> dict[str, str]:
    """Everything sent with an instruction (To, From, Timeout, ConferenceRecord...), as sent."""
    return {
        name: value
        for name in form.names()
        if name not in _COMMAND_FIELDS and (value := form.text(name)) is not None
    }


async def _list(
    tr: TaskRouter, workspace_sid: str, *, task_sid: str | None, worker_sid: str | None
) -> JSONResponse:
    await tr.owned(workspace_sid)
    if task_sid is not None:
        await tr.service.task(workspace_sid, task_sid)
    else:
        assert worker_sid is not None
        await tr.service.worker(workspace_sid, worker_sid)
    query = tr.query()
    paging = page_request(query)
    rows = await tr.service.repo.reservations(
        workspace_sid,
        task_sid=task_sid,
        worker_sid=worker_sid if worker_sid is not None else query.text("WorkerSid"),
        status=query.choice("ReservationStatus", RESERVATION_STATUSES),
        window=paging,
    )
    names = await tr.names(workspace_sid)
    under_worker = task_sid is None
    items = [reservation_json(row, tr.urls, names, under_worker=under_worker) for row in rows]
    return respond(page_body(tr.request, "reservations", rows, paging, items))


@router.get("/Tasks/{task_sid}/Reservations")
async def list_task_reservations(tr: TaskRouter, workspace_sid: str, task_sid: str) -> JSONResponse:
    return await _list(tr, workspace_sid, task_sid=task_sid, worker_sid=None)


@router.get("/Tasks/{task_sid}/Reservations/{sid}")
async def fetch_task_reservation(
    tr: TaskRouter, workspace_sid: str, task_sid: str, sid: str
) -> JSONResponse:
    await tr.owned(workspace_sid)
    row = await tr.service.reservation(workspace_sid, sid, task_sid=task_sid)
    names = await tr.names(workspace_sid)
    return respond(reservation_json(row, tr.urls, names, under_worker=False), row.version)


@router.post("/Tasks/{task_sid}/Reservations/{sid}")
async def update_task_reservation(
    tr: TaskRouter, workspace_sid: str, task_sid: str, sid: str
) -> JSONResponse:
    return await _update(tr, workspace_sid, sid, task_sid=task_sid)


@router.get("/Workers/{worker_sid}/Reservations")
async def list_worker_reservations(
    tr: TaskRouter, workspace_sid: str, worker_sid: str
) -> JSONResponse:
    return await _list(tr, workspace_sid, task_sid=None, worker_sid=worker_sid)


@router.get("/Workers/{worker_sid}/Reservations/{sid}")
async def fetch_worker_reservation(
    tr: TaskRouter, workspace_sid: str, worker_sid: str, sid: str
) -> JSONResponse:
    await tr.owned(workspace_sid)
    row = await tr.service.reservation(workspace_sid, sid, worker_sid=worker_sid)
    names = await tr.names(workspace_sid)
    return respond(reservation_json(row, tr.urls, names, under_worker=True), row.version)


@router.post("/Workers/{worker_sid}/Reservations/{sid}")
async def update_worker_reservation(
    tr: TaskRouter, workspace_sid: str, worker_sid: str, sid: str
) -> JSONResponse:
    return await _update(tr, workspace_sid, sid, worker_sid=worker_sid)
