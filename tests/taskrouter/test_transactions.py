"""The in-memory engines follow the database through whatever transactions callers make:
a rolled-back command (or savepoint) is forgotten, and a caller that wrote other rows before
calling the service does not deadlock with a concurrent request on the same workspace."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fastapi import FastAPI

from atende.auth.service import AuthService
from atende.taskrouter.service import TaskRouterService
from atende.taskrouter.task_creation import NewTask
from tests.taskrouter.builders import Center, build_center, ok


async def test_a_caller_that_wrote_first_and_a_concurrent_request_both_finish(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    await center.worker("bia", available=False)
    task = await center.task()
    offer = (await center.reservations(task["sid"]))[0]["sid"]
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        await AuthService(session).create_account("webhook first")  # a row written first
        await session.flush()
        accept = asyncio.create_task(
            tr.post(
                f"{center.base}/Tasks/{task['sid']}/Reservations/{offer}",
                data={"ReservationStatus": "accepted"},
            )
        )
        await asyncio.sleep(0.3)  # the request is under way and wants the same workspace
        service = TaskRouterService(session, runtime)
        created = await asyncio.wait_for(
            service.create_task(center.sid, center.workflow, {"from": "webhook"}), 5
        )
        await session.commit()
    accepted = await asyncio.wait_for(accept, 5)
    assert accepted.status_code == 200, accepted.text
    stored = await ok(await tr.get(f"{center.base}/Tasks/{created.sid}"))
    assert stored["assignment_status"] == "pending"


async def test_a_rolled_back_command_leaves_no_trace_in_memory(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    ana = await center.worker("ana")
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        service = TaskRouterService(session, runtime)
        await service.create_task(center.sid, center.workflow, {"attempt": 1})
        await session.rollback()
    async with runtime.sessions() as session:
        service = TaskRouterService(session, runtime)
        try:
            async with session.begin_nested():
                await service.create_task(center.sid, center.workflow, {"attempt": 2})
                raise LookupError("the caller changes its mind")
        except LookupError:
            pass
        await session.commit()

    assert (await ok(await tr.get(f"{center.base}/Tasks")))["tasks"] == []
    realtime = await ok(await tr.get(f"{center.base}/RealTimeStatistics"))
    assert realtime["total_tasks"] == 0
    task = await center.task(attempt=3)
    assert (await center.reservations(task["sid"]))[0]["worker_sid"] == ana


async def _defer_task(service: TaskRouterService, center: Center, **attributes: int) -> NewTask:
    """A task created as a voice batch creates it: routed at once, its rows written later."""
    new = await service.new_task(center.sid, center.workflow, attributes)
    await service.route_new_task(new, deferrable=True)
    return new


async def _event_types(tr: httpx.AsyncClient, base: str, task_sid: str) -> list[str]:
    events = (await ok(await tr.get(f"{base}/Events", params={"TaskSid": task_sid})))["events"]
    return sorted(event["event_type"] for event in events)


async def test_deferred_creations_are_all_written_with_their_events(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    ana = await center.worker("ana")
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        service = TaskRouterService(session, runtime)
        service.manager.defer_writes(session)
        first = await _defer_task(service, center, order=1)
        second = await _defer_task(service, center, order=2)
        await service.manager.write_deferred(session)
        await service.cancel_task(center.sid, second.sid, "caller hung up")
        await session.commit()

    reserved = await ok(await tr.get(f"{center.base}/Tasks/{first.sid}"))
    assert reserved["assignment_status"] == "reserved"
    assert json.loads(reserved["attributes"]) == {"order": 1}
    assert (await center.reservations(first.sid))[0]["worker_sid"] == ana
    canceled = await ok(await tr.get(f"{center.base}/Tasks/{second.sid}"))
    assert canceled["assignment_status"] == "canceled"
    assert "reservation.created" in await _event_types(tr, center.base, first.sid)
    assert {"task.created", "task.canceled"} <= set(await _event_types(tr, center.base, second.sid))
    realtime = await ok(await tr.get(f"{center.base}/RealTimeStatistics"))
    assert realtime["tasks_by_status"]["reserved"] == 1


async def test_a_commit_with_creations_left_unwritten_fails_and_keeps_nothing(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    ana = await center.worker("ana")
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        service = TaskRouterService(session, runtime)
        service.manager.defer_writes(session)
        await _defer_task(service, center, attempt=1)
        with pytest.raises(RuntimeError, match="not written"):
            await session.commit()

    assert (await ok(await tr.get(f"{center.base}/Tasks")))["tasks"] == []
    task = await center.task(attempt=2)
    assert (await center.reservations(task["sid"]))[0]["worker_sid"] == ana
