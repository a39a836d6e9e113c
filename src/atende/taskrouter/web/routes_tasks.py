"""`/v1/Workspaces/{WorkspaceSid}/Tasks`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from atende.routing.expression import ExpressionError, compile_expression
from atende.routing.model import QUEUE_PREFIX, WORKER_PREFIX
from atende.taskrouter.errors import invalid
from atende.taskrouter.task_creation import task_creations
from atende.taskrouter.web.context import TaskRouter, created, no_content, respond
from atende.taskrouter.web.paging import page_body, page_request
from atende.taskrouter.web.params import Params
from atende.taskrouter.web.representations import task_json

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid}/Tasks")

TASK_STATUSES = ("pending", "reserved", "assigned", "canceled", "completed", "wrapping")
MAX_PRIORITY = 2**31 - 1
MAX_TIMEOUT = 365 * 86_400
IGNORE_CAPACITY_TRUE = frozenset({"true", "1", "yes"})


def _statuses(query: Params) -> list[str]:
    statuses = query.texts("AssignmentStatus")
    for status in statuses:
        if status not in TASK_STATUSES:
            raise invalid(
                "AssignmentStatus", f"{status!r} is not one of {', '.join(TASK_STATUSES)}"
            )
    return statuses


def _attribute_test(query: Params) -> Any:
    text = query.text("EvaluateTaskAttributes")
    if text is None:
        return None
    try:
        compiled = compile_expression(text)
    except ExpressionError as error:
        raise invalid("EvaluateTaskAttributes", str(error)) from None
    return lambda attributes: compiled.matches(attributes, {"task": attributes})


async def _named_sid(tr: TaskRouter, workspace_sid: str, query: Params, kind: str) -> str | None:
    """`WorkflowName`/`TaskQueueName` resolved to a SID (a name that matches nothing filters
    everything out)."""
    sid = query.text(f"{kind}Sid")
    name = query.text(f"{kind}Name")
    if sid is not None or name is None:
        return sid
    repo = tr.service.repo
    if kind == "Workflow":
        workflow = await repo.workflow_by_name(workspace_sid, name)
        return workflow.sid if workflow else "none"
    queue = await repo.task_queue_by_name(workspace_sid, name)
    return queue.sid if queue else "none"


@router.get("")
async def list_tasks(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    query = tr.query()
    paging = page_request(query)
    order = query.text("Ordering")
    try:
        rows = await tr.service.repo.tasks(
            workspace_sid,
            priority=query.integer("Priority"),
            statuses=_statuses(query),
            workflow_sid=await _named_sid(tr, workspace_sid, query, "Workflow"),
            task_queue_sid=await _named_sid(tr, workspace_sid, query, "TaskQueue"),
            routing_target=query.text("RoutingTarget"),
            matches=_attribute_test(query),
            order=order,
            window=paging,
        )
    except ValueError:
        raise invalid(
            "Ordering", f"{order!r} is not DateCreated or Priority with :asc or :desc"
        ) from None
    names = await tr.names(workspace_sid)
    items = [task_json(row, tr.urls, names) for row in rows]
    return respond(page_body(tr.request, "tasks", rows, paging, items))


@router.post("")
async def create_task(tr: TaskRouter, workspace_sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    routing_target = form.text("RoutingTarget") or None
    to_worker = (routing_target or "").startswith(WORKER_PREFIX)
    ignore_capacity = _ignore_capacity(form)
    if ignore_capacity is not None and not to_worker:
        raise invalid("IgnoreCapacity", "can only be used when RoutingTarget is a Worker SID")
    task_queue_sid = form.sid("TaskQueueSid", QUEUE_PREFIX)
    if task_queue_sid is not None and not to_worker and task_queue_sid != routing_target:
        raise invalid(
            "TaskQueueSid",
            "names the queue of a task routed to a worker; to route a task straight to a queue,"
            " give the queue's SID as RoutingTarget",
        )
    new = await tr.service.new_task(
        workspace_sid,
        form.text("WorkflowSid"),
        form.text("Attributes"),
        form.text("TaskChannel") or "default",
        form.integer("Priority", minimum=0, maximum=MAX_PRIORITY),
        form.integer("Timeout", minimum=1, maximum=MAX_TIMEOUT),
        virtual_start_time=form.timestamp("VirtualStartTime"),
        routing_target=routing_target,
        ignore_capacity=ignore_capacity,
        task_queue_sid=task_queue_sid,
    )
    # Shares a transaction with the creates arriving meanwhile (group commit).
    row = await task_creations(tr.service.runtime).create(new, tr.service.actor)
    return created(task_json(row, tr.urls, await tr.names(workspace_sid)), row.version)


def _ignore_capacity(form: Params) -> bool | None:
    """TaskRouter reads `true`, `1` or `yes` as true and any other value as false."""
    raw = form.text("IgnoreCapacity")
    if raw is None or not raw.strip():
        return None
    return raw.strip().lower() in IGNORE_CAPACITY_TRUE


@router.get("/{sid}")
async def fetch_task(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    row = await tr.service.task(workspace_sid, sid)
    return respond(task_json(row, tr.urls, await tr.names(workspace_sid)), row.version)


@router.post("/{sid}")
async def update_task(tr: TaskRouter, workspace_sid: str, sid: str) -> JSONResponse:
    await tr.owned(workspace_sid)
    form = await tr.body()
    row = await tr.service.update_task(
        workspace_sid,
        sid,
        attributes=form.text("Attributes"),
        assignment_status=form.choice("AssignmentStatus", TASK_STATUSES),
        reason=form.text("Reason"),
        priority=form.integer("Priority", minimum=0, maximum=MAX_PRIORITY),
        task_channel=form.text("TaskChannel"),
        virtual_start_time=form.timestamp("VirtualStartTime"),
        if_match=tr.if_match(),
    )
    return respond(task_json(row, tr.urls, await tr.names(workspace_sid)), row.version)


@router.delete("/{sid}")
async def delete_task(tr: TaskRouter, workspace_sid: str, sid: str) -> Response:
    await tr.owned(workspace_sid)
    await tr.service.delete_task(workspace_sid, sid, if_match=tr.if_match())
    return no_content()
