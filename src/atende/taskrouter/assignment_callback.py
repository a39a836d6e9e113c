"""A workflow's AssignmentCallbackUrl: told of each reservation, answering with an instruction.

The POST goes through the outbox (stored with the reservation), so a slow or down callback never
blocks routing. As in TaskRouter it gets 5 seconds; when it fails (network error, timeout or a
non-2xx answer) the same request goes once to the workflow's FallbackAssignmentCallbackUrl, if
any, and neither is retried: the reservation's own timeout takes over. The answer's JSON
instruction, from either URL, is then applied as its own command: `accept` and `reject` change the
reservation; `dequeue`, `call`, `redirect` and `conference` are recorded on it for the voice
channel to carry out."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.errors import TwilioError
from atende.events.models import OutboxMessage
from atende.events.outbox import FailureHandler, OutboxDispatcher, ReplyHandler
from atende.events.record import enqueue_http
from atende.routing.events import EventType, RoutingEvent
from atende.runtime import Runtime
from atende.taskrouter import models
from atende.taskrouter.persistence import dump_json
from atende.taskrouter.routing_manager import WorkspaceRouting
from atende.taskrouter.service import TaskRouterService

log = logging.getLogger(__name__)

REPLY_KIND = "taskrouter.assignment"
FALLBACK_KIND = "taskrouter.assignment.fallback"
CALLBACK_TIMEOUT = 5.0
"""Seconds TaskRouter waits for an assignment callback before calling the fallback URL."""


def callback_form(state: WorkspaceRouting, event: RoutingEvent) -> dict[str, str]:
    """The fields TaskRouter posts to an AssignmentCallbackUrl."""
    worker = state.engine.workers.get(event.worker_sid or "")
    return {
        "AccountSid": state.account_sid,
        "WorkspaceSid": state.sid,
        "WorkflowSid": event.workflow_sid or "",
        "TaskQueueSid": event.queue_sid or "",
        "TaskSid": event.task_sid or "",
        "WorkerSid": event.worker_sid or "",
        "ReservationSid": event.reservation_sid or "",
        "TaskAge": str(event.task_age or 0),
        "TaskPriority": str(event.task_priority or 0),
        "TaskAttributes": dump_json(event.task_attributes or {}),
        "WorkerAttributes": dump_json(event.worker_attributes or {}),
        "WorkerName": "" if worker is None else worker.friendly_name,
    }


def queue_assignment_callbacks(
    session: AsyncSession, state: WorkspaceRouting, events: list[RoutingEvent]
) -> None:
    """Command hook: one outbox POST per reservation created in a workflow with a callback."""
    for event in events:
        if event.event_type != EventType.RESERVATION_CREATED:
            continue
        url = state.assignment_callbacks.get(event.workflow_sid or "")
        if url:
            enqueue_http(session, REPLY_KIND, url, callback_form(state, event), reply_to=REPLY_KIND)


def _instruction(response: httpx.Response) -> dict[str, Any] | None:
    if not response.content.strip():
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("instruction"), str) else None


def _form(message: OutboxMessage) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(message.body).items()}


def install_assignment_handlers(outbox: OutboxDispatcher, runtime: Runtime) -> None:
    """Teach the outbox how assignment callbacks are delivered and answered."""
    outbox.reply_handlers[REPLY_KIND] = reply_handler(runtime)
    outbox.failure_handlers[REPLY_KIND] = fallback_handler(runtime)
    outbox.timeouts[REPLY_KIND] = outbox.timeouts[FALLBACK_KIND] = CALLBACK_TIMEOUT


def reply_handler(runtime: Runtime) -> ReplyHandler:
    async def handle(message: OutboxMessage, response: httpx.Response) -> None:
        instruction = _instruction(response)
        if instruction is None:
            return
        form = _form(message)
        await apply_instruction(
            runtime, form.get("WorkspaceSid", ""), form.get("ReservationSid", ""), instruction
        )

    return handle


def fallback_handler(runtime: Runtime) -> FailureHandler:
    """Queue the failed callback's request, once, to the workflow's fallback URL; its answer is
    handled like the primary's."""

    async def handle(message: OutboxMessage) -> None:
        form = _form(message)
        workflow_sid = form.get("WorkflowSid", "")
        async with runtime.sessions() as session:
            url = await session.scalar(
                select(models.Workflow.fallback_assignment_callback_url).where(
                    models.Workflow.sid == workflow_sid
                )
            )
            if not url:
                log.info(
                    "assignment callback %s failed (%s); workflow %s has no fallback URL",
                    message.url,
                    message.last_error,
                    workflow_sid,
                )
                return
            fallback = enqueue_http(session, FALLBACK_KIND, url, form, reply_to=REPLY_KIND)
            fallback.max_attempts = 1
            await session.commit()

    return handle


async def apply_instruction(
    runtime: Runtime, workspace_sid: str, reservation_sid: str, instruction: dict[str, Any]
) -> None:
    """Apply an assignment instruction in its own transaction; a reservation that moved on
    meanwhile (timed out, accepted elsewhere) is left as it is."""
    name = str(instruction["instruction"]).lower()
    params = {key: str(value) for key, value in instruction.items() if key != "instruction"}
    async with runtime.sessions() as session:
        service = TaskRouterService(session, runtime)
        try:
            if name == "accept":
                await service.update_reservation(workspace_sid, reservation_sid, status="accepted")
            elif name == "reject":
                await service.update_reservation(
                    workspace_sid,
                    reservation_sid,
                    status="rejected",
                    worker_activity_sid=params.get("activity_sid"),
                )
            else:
                accept = name in ("redirect", "call") and instruction.get("accept") is True
                await service.update_reservation(
                    workspace_sid,
                    reservation_sid,
                    instruction=name,
                    instruction_params=params,
                    status="accepted" if accept else None,
                )
            await session.commit()
        except TwilioError as error:
            await session.rollback()
            log.info(
                "assignment instruction %s for %s not applied: %s",
                json.dumps(instruction),
                reservation_sid,
                error.message,
            )
