"""Every statistics endpoint: workspace, task queues (one, all, in bulk), workflows, workers.

No rate limit: real-time figures come from memory and cumulative ones from per-minute counters.
These static paths are mounted before `/Workers/{Sid}` and `/TaskQueues/{Sid}`."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from atende.taskrouter.errors import invalid, not_found
from atende.taskrouter.statistics.cumulative import Window, window
from atende.taskrouter.statistics.reports import StatisticsReports
from atende.taskrouter.web.context import TaskRouter, respond
from atende.taskrouter.web.paging import page_body, page_request
from atende.taskrouter.web.params import Params
from atende.taskrouter.web.routes_workers import worker_filter

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid}")

MAX_MINUTES = 43_200
MAX_BULK_QUEUES = 50


class StatisticsRequest:
    """The window, task channel and wait-time thresholds a statistics request asks for."""

    def __init__(self, tr: TaskRouter, workspace_sid: str, reports: StatisticsReports) -> None:
        query = tr.query()
        self.query = query
        self.span: Window = window(
            reports.now,
            minutes=query.integer("Minutes", minimum=1, maximum=MAX_MINUTES),
            start=query.timestamp("StartDate"),
            end=query.timestamp("EndDate"),
        )
        self.channel = _channel_sid(reports, query)
        self.thresholds = _thresholds(query)


def _channel_sid(reports: StatisticsReports, query: Params) -> str | None:
    name = query.text("TaskChannel")
    if name is None:
        return None
    for sid, channel in reports.engine.task_channels.items():
        if name in (sid, channel.unique_name):
            return sid
    raise invalid("TaskChannel", f"no task channel {name!r} in this workspace")


def _thresholds(query: Params) -> list[int]:
    text = query.text("SplitByWaitTime")
    if not text:
        return []
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise invalid(
            "SplitByWaitTime", f"{text!r} is not a comma-separated list of seconds"
        ) from None
    if any(value <= 0 for value in values):
        raise invalid("SplitByWaitTime", "thresholds must be positive numbers of seconds")
    return values


async def _context(
    tr: TaskRouter, workspace_sid: str
) -> tuple[StatisticsReports, StatisticsRequest]:
    await tr.owned(workspace_sid)
    reports = await tr.service.statistics(workspace_sid)
    return reports, StatisticsRequest(tr, workspace_sid, reports)


def _envelope(tr: TaskRouter, workspace_sid: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"account_sid": tr.account_sid, "workspace_sid": workspace_sid, **body, "url": url}


# ---------------------------------------------------------------------- workspace


@router.get("/Statistics")
async def workspace_statistics(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    body = {
        "realtime": reports.workspace_realtime(ask.channel),
        "cumulative": await reports.workspace_cumulative(ask.span, ask.channel, ask.thresholds),
    }
    url = tr.urls.child(workspace_sid, "Statistics")
    return respond(_envelope(tr, workspace_sid, url, body))


@router.get("/RealTimeStatistics")
async def workspace_real_time_statistics(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    url = tr.urls.child(workspace_sid, "RealTimeStatistics")
    return respond(_envelope(tr, workspace_sid, url, reports.workspace_realtime(ask.channel)))


@router.get("/CumulativeStatistics")
async def workspace_cumulative_statistics(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    body = await reports.workspace_cumulative(ask.span, ask.channel, ask.thresholds)
    url = tr.urls.child(workspace_sid, "CumulativeStatistics")
    return respond(_envelope(tr, workspace_sid, url, body))


# -------------------------------------------------------------------- task queues


def _check_queue(reports: StatisticsReports, workspace_sid: str, queue_sid: str) -> None:
    if queue_sid not in reports.engine.task_queues:
        raise not_found(f"/Workspaces/{workspace_sid}/TaskQueues/{queue_sid}")


@router.get("/TaskQueues/Statistics")
async def list_task_queues_statistics(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    paging = page_request(ask.query)
    rows = await tr.service.repo.task_queues(
        workspace_sid,
        friendly_name=ask.query.text("FriendlyName"),
        sids=None,
        order=None,
        window=paging,
    )
    items = [
        {
            "account_sid": tr.account_sid,
            "cumulative": await reports.queue_cumulative(
                row.sid, ask.span, ask.channel, ask.thresholds
            ),
            "realtime": reports.queue_realtime(row.sid, ask.channel),
            "task_queue_sid": row.sid,
            "workspace_sid": workspace_sid,
        }
        for row in rows[: paging.page_size]
    ]
    return respond(page_body(tr.request, "task_queues_statistics", rows, paging, items))


@router.post("/TaskQueues/RealTimeStatistics")
async def bulk_task_queue_real_time_statistics(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    sids = await _bulk_queue_sids(tr)
    for sid in sids:
        _check_queue(reports, workspace_sid, sid)
    data = [{"task_queue_sid": sid, **reports.queue_realtime(sid, ask.channel)} for sid in sids]
    body = {"task_queue_data": data, "task_queue_response_count": len(data)}
    url = tr.urls.child(workspace_sid, "TaskQueues", "RealTimeStatistics")
    return respond(_envelope(tr, workspace_sid, url, body))


async def _bulk_queue_sids(tr: TaskRouter) -> list[str]:
    """`{"QueueSids": ["WQ…", …]}` as JSON (what Twilio documents), or repeated form fields."""
    if "json" in tr.request.headers.get("content-type", ""):
        try:
            body = json.loads(await tr.request.body() or b"{}")
        except ValueError:
            raise invalid("QueueSids", "the body is not valid JSON") from None
        sids = body.get("QueueSids") if isinstance(body, dict) else None
    else:
        sids = (await tr.body()).texts("QueueSids")
    if not isinstance(sids, list) or not sids or not all(isinstance(s, str) for s in sids):
        raise invalid("QueueSids", "give a non-empty list of TaskQueue SIDs")
    if len(sids) > MAX_BULK_QUEUES:
        raise invalid("QueueSids", f"at most {MAX_BULK_QUEUES} queues at once")
    return list(sids)


@router.get("/TaskQueues/{queue_sid}/Statistics")
async def task_queue_statistics(tr: TaskRouter, workspace_sid: str, queue_sid: str) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    _check_queue(reports, workspace_sid, queue_sid)
    body = {
        "cumulative": await reports.queue_cumulative(
            queue_sid, ask.span, ask.channel, ask.thresholds
        ),
        "realtime": reports.queue_realtime(queue_sid, ask.channel),
        "task_queue_sid": queue_sid,
    }
    url = tr.urls.child(workspace_sid, "TaskQueues", queue_sid, "Statistics")
    return respond(_envelope(tr, workspace_sid, url, body))


@router.get("/TaskQueues/{queue_sid}/RealTimeStatistics")
async def task_queue_real_time_statistics(
    tr: TaskRouter, workspace_sid: str, queue_sid: str
) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    _check_queue(reports, workspace_sid, queue_sid)
    body = {"task_queue_sid": queue_sid, **reports.queue_realtime(queue_sid, ask.channel)}
    url = tr.urls.child(workspace_sid, "TaskQueues", queue_sid, "RealTimeStatistics")
    return respond(_envelope(tr, workspace_sid, url, body))


@router.get("/TaskQueues/{queue_sid}/CumulativeStatistics")
async def task_queue_cumulative_statistics(
    tr: TaskRouter, workspace_sid: str, queue_sid: str
) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    _check_queue(reports, workspace_sid, queue_sid)
    body = await reports.queue_cumulative(queue_sid, ask.span, ask.channel, ask.thresholds)
    url = tr.urls.child(workspace_sid, "TaskQueues", queue_sid, "CumulativeStatistics")
    return respond(_envelope(tr, workspace_sid, url, body))


# ---------------------------------------------------------------------- workflows


def _check_workflow(reports: StatisticsReports, workspace_sid: str, workflow_sid: str) -> None:
    if workflow_sid not in reports.engine.workflows:
        raise not_found(f"/Workspaces/{workspace_sid}/Workflows/{workflow_sid}")


@router.get("/Workflows/{workflow_sid}/Statistics")
async def workflow_statistics(
    tr: TaskRouter, workspace_sid: str, workflow_sid: str
) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    _check_workflow(reports, workspace_sid, workflow_sid)
    body = {
        "cumulative": await reports.workflow_cumulative(
            workflow_sid, ask.span, ask.channel, ask.thresholds
        ),
        "realtime": reports.workflow_realtime(workflow_sid, ask.channel),
        "workflow_sid": workflow_sid,
    }
    url = tr.urls.child(workspace_sid, "Workflows", workflow_sid, "Statistics")
    return respond(_envelope(tr, workspace_sid, url, body))


@router.get("/Workflows/{workflow_sid}/RealTimeStatistics")
async def workflow_real_time_statistics(
    tr: TaskRouter, workspace_sid: str, workflow_sid: str
) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    _check_workflow(reports, workspace_sid, workflow_sid)
    body = {"workflow_sid": workflow_sid, **reports.workflow_realtime(workflow_sid, ask.channel)}
    url = tr.urls.child(workspace_sid, "Workflows", workflow_sid, "RealTimeStatistics")
    return respond(_envelope(tr, workspace_sid, url, body))


@router.get("/Workflows/{workflow_sid}/CumulativeStatistics")
async def workflow_cumulative_statistics(
    tr: TaskRouter, workspace_sid: str, workflow_sid: str
) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    _check_workflow(reports, workspace_sid, workflow_sid)
    body = await reports.workflow_cumulative(workflow_sid, ask.span, ask.channel, ask.thresholds)
    url = tr.urls.child(workspace_sid, "Workflows", workflow_sid, "CumulativeStatistics")
    return respond(_envelope(tr, workspace_sid, url, body))


# ------------------------------------------------------------------------ workers


async def _selected_workers(
    tr: TaskRouter, workspace_sid: str, reports: StatisticsReports, query: Params
) -> list[str] | None:
    """`TaskQueueSid`/`TaskQueueName`/`FriendlyName` narrow the real-time worker figures."""
    sids = await worker_filter(tr, workspace_sid, query)
    name = query.text("FriendlyName")
    if name is not None:
        named = {
            sid
            for sid, worker in reports.engine.workers.items()
            if name.lower() in worker.friendly_name.lower()
        }
        sids = named if sids is None else sids & named
    return None if sids is None else sorted(sids)


@router.get("/Workers/Statistics")
async def workers_statistics(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    selected = await _selected_workers(tr, workspace_sid, reports, ask.query)
    body = {
        "realtime": reports.workers_realtime(selected),
        "cumulative": await reports.workers_cumulative(ask.span, ask.channel),
    }
    url = tr.urls.child(workspace_sid, "Workers", "Statistics")
    return respond(_envelope(tr, workspace_sid, url, body))


@router.get("/Workers/RealTimeStatistics")
async def workers_real_time_statistics(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    reports, _ask = await _context(tr, workspace_sid)
    url = tr.urls.child(workspace_sid, "Workers", "RealTimeStatistics")
    return respond(_envelope(tr, workspace_sid, url, reports.workers_realtime()))


@router.get("/Workers/CumulativeStatistics")
async def workers_cumulative_statistics(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    body = await reports.workers_cumulative(ask.span, ask.channel)
    url = tr.urls.child(workspace_sid, "Workers", "CumulativeStatistics")
    return respond(_envelope(tr, workspace_sid, url, body))


@router.get("/Workers/{worker_sid}/Statistics")
async def worker_statistics(tr: TaskRouter, workspace_sid: str, worker_sid: str) -> JSONResponse:
    reports, ask = await _context(tr, workspace_sid)
    await tr.service.worker(workspace_sid, worker_sid)
    body = {
        "cumulative": await reports.worker_cumulative(worker_sid, ask.span, ask.channel),
        "worker_sid": worker_sid,
    }
    url = tr.urls.child(workspace_sid, "Workers", worker_sid, "Statistics")
    return respond(_envelope(tr, workspace_sid, url, body))
