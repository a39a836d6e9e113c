"""Outbound callbacks: the workflow's AssignmentCallbackUrl (and its instruction honoured) and
the workspace's EventCallbackUrl with its EventsFilter."""

from __future__ import annotations

import asyncio
import json

import httpx
from fastapi import FastAPI

from atende.taskrouter.service import TaskRouterService
from tests.support.http_receiver import http_receiver
from tests.support.waiting import eventually
from tests.taskrouter.builders import Center, build_center, ok


async def _reservation_status(center: Center, task_sid: str) -> str:
    return str((await center.reservations(task_sid))[0]["reservation_status"])


async def test_assignment_callback_is_told_and_its_accept_is_applied(
    tr: httpx.AsyncClient,
) -> None:
    center = await build_center(tr)
    worker = await center.worker("ana", languages=["pt"])
    with http_receiver() as receiver:
        receiver.reply_body = b'{"instruction": "accept"}'
        workflow = await center.workflow_with(
            FriendlyName="Callback", AssignmentCallbackUrl=receiver.url + "/assign"
        )
        task = await center.task(workflow, product="auto")
        received = await asyncio.to_thread(receiver.wait_for, 1)
    form = received[0].form
    assert received[0].path == "/assign"
    assert form["TaskSid"] == task["sid"]
    assert form["WorkerSid"] == worker
    assert form["WorkspaceSid"] == center.sid
    assert form["ReservationSid"] == (await center.reservations(task["sid"]))[0]["sid"]
    assert json.loads(form["TaskAttributes"]) == {"product": "auto"}
    assert json.loads(form["WorkerAttributes"])["languages"] == ["pt"]
    status = await eventually(
        lambda: _reservation_status(center, task["sid"]), lambda s: s != "pending"
    )
    assert status == "accepted"


async def test_a_reject_instruction_moves_the_worker_to_the_given_activity(
    tr: httpx.AsyncClient,
) -> None:
    center = await build_center(tr)
    worker = await center.worker("ana")
    with http_receiver() as receiver:
        receiver.reply_body = json.dumps(
            {"instruction": "reject", "activity_sid": center.offline}
        ).encode()
        workflow = await center.workflow_with(
            FriendlyName="Callback", AssignmentCallbackUrl=receiver.url
        )
        task = await center.task(workflow)
        status = await eventually(
            lambda: _reservation_status(center, task["sid"]), lambda s: s != "pending"
        )
    assert status == "rejected"
    fetched = await ok(await tr.get(f"{center.base}/Workers/{worker}"))
    assert fetched["activity_sid"] == center.offline


async def test_voice_instructions_are_recorded_for_the_voice_channel(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    with http_receiver() as receiver:
        receiver.reply_body = json.dumps(
            {"instruction": "dequeue", "from": "+551130000000", "post_work_activity_sid": "WA1"}
        ).encode()
        workflow = await center.workflow_with(
            FriendlyName="Callback", AssignmentCallbackUrl=receiver.url
        )
        task = await center.task(workflow)
        await asyncio.to_thread(receiver.wait_for, 1)

    async def instruction() -> tuple[str | None, str | None]:
        async with app.state.runtime.sessions() as session:
            service = TaskRouterService(session, app.state.runtime)
            reservation_sid = (await center.reservations(task["sid"]))[0]["sid"]
            row = await service.reservation(center.sid, reservation_sid)
            return row.instruction, row.instruction_params

    name, params = await eventually(instruction, lambda found: found[0] is not None)
    assert name == "dequeue"
    assert json.loads(params or "{}") == {"from": "+551130000000", "post_work_activity_sid": "WA1"}
    assert await _reservation_status(center, task["sid"]) == "pending"


async def test_event_callback_gets_only_the_filtered_events(tr: httpx.AsyncClient) -> None:
    with http_receiver() as receiver:
        center = await build_center(
            tr, EventCallbackUrl=receiver.url + "/events", EventsFilter="task.created,task.canceled"
        )
        await center.worker("ana", available=False)
        task = await center.task(product="vida")
        await ok(
            await tr.post(
                f"{center.base}/Tasks/{task['sid']}",
                data={"AssignmentStatus": "canceled", "Reason": "desistiu"},
            )
        )
        received = await asyncio.to_thread(receiver.wait_for, 2)
        await asyncio.sleep(0.3)  # anything unfiltered would have arrived by now as well
    forms = [request.form for request in receiver.requests]
    assert sorted(form["EventType"] for form in forms) == ["task.canceled", "task.created"]
    assert len(received) == 2
    canceled = next(form for form in forms if form["EventType"] == "task.canceled")
    assert canceled["TaskSid"] == task["sid"]
    assert canceled["TaskCanceledReason"] == "desistiu"
    assert canceled["TaskQueueSid"] == center.queue
    assert canceled["WorkflowSid"] == center.workflow
    assert canceled["WorkspaceName"] == "Corretora"
