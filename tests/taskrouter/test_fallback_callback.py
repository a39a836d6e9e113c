"""FallbackAssignmentCallbackUrl: when the workflow's AssignmentCallbackUrl fails (an error
answer, no connection, or no answer within 5 seconds) the same request goes to the fallback URL,
whose instruction is applied; neither URL is tried again."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from atende.events.models import OutboxMessage
from atende.taskrouter.assignment_callback import FALLBACK_KIND, REPLY_KIND
from tests.support.http_receiver import Receiver, http_receiver
from tests.support.waiting import eventually
from tests.taskrouter.builders import Center, build_center

ACCEPT = json.dumps({"instruction": "accept"}).encode()


async def _reservation_status(center: Center, task_sid: str) -> str:
    return str((await center.reservations(task_sid))[0]["reservation_status"])


async def _deliveries(app: FastAPI) -> dict[str, list[tuple[str, int]]]:
    """Per kind, each outbox message's (status, attempts)."""
    async with app.state.runtime.sessions() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars()
        found: dict[str, list[tuple[str, int]]] = {}
        for row in rows:
            found.setdefault(row.kind, []).append((row.status, row.attempts))
        return found


async def _assign_through(
    center: Center, primary_url: str, fallback: Receiver, timeout: float = 10.0
) -> tuple[dict[str, Any], str]:
    """Create a task in a workflow with both callbacks; returns it and its reservation's
    status once the fallback's instruction was applied (or the wait ran out)."""
    fallback.reply_body = ACCEPT
    workflow = await center.workflow_with(
        FriendlyName="Callback",
        AssignmentCallbackUrl=primary_url,
        FallbackAssignmentCallbackUrl=fallback.url + "/fallback",
    )
    task = await center.task(workflow, product="auto")
    status = await eventually(
        lambda: _reservation_status(center, task["sid"]),
        lambda s: s != "pending",
        timeout=timeout,
    )
    return task, status


@pytest.mark.parametrize("failure", [500, 404])
async def test_an_error_answer_sends_the_same_request_to_the_fallback(
    app: FastAPI, tr: httpx.AsyncClient, failure: int
) -> None:
    center = await build_center(tr)
    worker = await center.worker("ana")
    with http_receiver() as primary, http_receiver() as fallback:
        primary.default_status = failure
        primary.reply_body = ACCEPT  # an accept in an error answer is not obeyed
        task, status = await _assign_through(center, primary.url + "/assign", fallback)
        sent = await asyncio.to_thread(primary.wait_for, 1)
        received = await asyncio.to_thread(fallback.wait_for, 1)
    assert status == "accepted"
    assert received[0].path == "/fallback"
    assert received[0].form == sent[0].form
    assert received[0].form["TaskSid"] == task["sid"]
    assert received[0].form["WorkerSid"] == worker
    assert len(primary.requests) == 1
    deliveries = await eventually(
        lambda: _deliveries(app), lambda found: found.get(FALLBACK_KIND) == [("delivered", 1)]
    )
    assert deliveries[REPLY_KIND] == [("failed", 1)]  # not retried
    assert deliveries[FALLBACK_KIND] == [("delivered", 1)]


async def test_no_connection_to_the_primary_goes_to_the_fallback(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    with http_receiver() as gone:
        unreachable = gone.url
    with http_receiver() as fallback:
        _, status = await _assign_through(center, unreachable, fallback)
    assert status == "accepted"
    assert len(fallback.requests) == 1


async def test_a_primary_slower_than_5_seconds_is_given_up_for_the_fallback(
    tr: httpx.AsyncClient,
) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    with http_receiver() as slow, http_receiver() as fallback:
        slow.delay = 6.0
        slow.reply_body = json.dumps({"instruction": "reject"}).encode()
        _, status = await _assign_through(center, slow.url, fallback, timeout=30.0)
    assert status == "accepted"
    assert len(slow.requests) == 1


async def test_without_a_fallback_a_failed_callback_is_not_retried(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    with http_receiver() as primary:
        primary.default_status = 503
        workflow = await center.workflow_with(
            FriendlyName="Callback", AssignmentCallbackUrl=primary.url
        )
        task = await center.task(workflow)
        await asyncio.to_thread(primary.wait_for, 1)
        deliveries = await eventually(
            lambda: _deliveries(app), lambda found: found.get(REPLY_KIND) == [("failed", 1)]
        )
    assert deliveries[REPLY_KIND] == [("failed", 1)]
    assert FALLBACK_KIND not in deliveries
    assert await _reservation_status(center, task["sid"]) == "pending"
