"""Reservation timeouts, workflow step timeouts and task TTLs fire when due, not before, on a
clock the test moves (the background loop is off; the test advances the timers itself)."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import httpx
import pytest
from fastapi import FastAPI

from atende.config import Settings
from atende.taskrouter.routing_manager import RoutingManager
from tests.taskrouter.builders import Center, build_center, ok


class FakeClock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(settings: Settings, database_url: str) -> Settings:
    """The suite's settings without background loops (asking for `database_url` keeps the
    override parametrized per database)."""
    return replace(settings, run_background=False)


@pytest.fixture
def clock(app: FastAPI) -> FakeClock:
    fake = FakeClock()
    app.state.runtime.services["taskrouter"].clock = fake
    return fake


def manager(app: FastAPI) -> RoutingManager:
    found: RoutingManager = app.state.runtime.services["taskrouter"]
    return found


async def _events(tr: httpx.AsyncClient, center: Center, task_sid: str) -> list[str]:
    body = await ok(await tr.get(f"{center.base}/Events", params={"TaskSid": task_sid}))
    return [event["event_type"] for event in reversed(body["events"])]


async def test_a_reservation_times_out_at_its_deadline(
    app: FastAPI, tr: httpx.AsyncClient, clock: FakeClock
) -> None:
    center = await build_center(tr)
    workflow = await center.workflow_with(FriendlyName="Quick", TaskReservationTimeout="30")
    worker = await center.worker("ana")
    task = await center.task(workflow)
    reservation = (await center.reservations(task["sid"]))[0]
    assert manager(app).next_deadline() == clock.now + 30

    clock.now += 29.9
    await manager(app).advance_due()
    assert (await center.reservations(task["sid"]))[0]["reservation_status"] == "pending"

    clock.now += 0.1
    await manager(app).advance_due()
    assert (await center.reservations(task["sid"]))[0]["reservation_status"] == "timeout"
    ana = await ok(await tr.get(f"{center.base}/Workers/{worker}"))
    assert ana["activity_sid"] == center.offline
    assert (await ok(await tr.get(f"{center.base}/Tasks/{task['sid']}")))[
        "assignment_status"
    ] == "pending"
    events = await ok(
        await tr.get(f"{center.base}/Events", params={"ReservationSid": reservation["sid"]})
    )
    timeout = next(e for e in events["events"] if e["event_type"] == "reservation.timeout")
    assert timeout["event_date_ms"] == int(clock.now * 1000)


async def test_a_workflow_step_timeout_moves_the_task_on_and_the_last_one_cancels_it(
    app: FastAPI, tr: httpx.AsyncClient, clock: FakeClock
) -> None:
    center = await build_center(tr)
    vip = await ok(
        await tr.post(
            f"{center.base}/TaskQueues", data={"FriendlyName": "VIP", "TargetWorkers": "vip == 1"}
        ),
        201,
    )
    configuration = {
        "task_routing": {
            "filters": [
                {
                    "expression": "1==1",
                    "targets": [
                        {"queue": vip["sid"], "timeout": 20},
                        {"queue": center.queue, "expression": "worker.level > 5", "timeout": 40},
                    ],
                }
            ]
        }
    }
    workflow = await ok(
        await tr.post(
            f"{center.base}/Workflows",
            data={"FriendlyName": "Steps", "Configuration": json.dumps(configuration)},
        ),
        201,
    )
    task = await center.task(workflow["sid"])

    clock.now += 19
    await manager(app).advance_due()
    fetched = await ok(await tr.get(f"{center.base}/Tasks/{task['sid']}"))
    assert fetched["task_queue_sid"] == vip["sid"]

    clock.now += 1
    await manager(app).advance_due()
    fetched = await ok(await tr.get(f"{center.base}/Tasks/{task['sid']}"))
    assert fetched["task_queue_sid"] == center.queue

    clock.now += 40  # the second step's timeout counts on the task's age: 20 + 40 = 60 s
    await manager(app).advance_due()
    fetched = await ok(await tr.get(f"{center.base}/Tasks/{task['sid']}"))
    assert (fetched["assignment_status"], fetched["reason"]) == ("canceled", "Workflow Timeout")
    events = await _events(tr, center, task["sid"])
    assert "task-queue.moved" in events or "task-queue.timeout" in events
    assert events[-2:] == ["workflow.timeout", "task.canceled"]


async def test_a_task_nobody_takes_is_canceled_when_its_ttl_ends(
    app: FastAPI, tr: httpx.AsyncClient, clock: FakeClock
) -> None:
    center = await build_center(tr)
    data = {"WorkflowSid": center.workflow, "Attributes": "{}", "Timeout": "300"}
    task = await ok(await tr.post(f"{center.base}/Tasks", data=data), 201)
    clock.now += 299
    await manager(app).advance_due()
    assert (await ok(await tr.get(f"{center.base}/Tasks/{task['sid']}")))[
        "assignment_status"
    ] == "pending"
    clock.now += 1
    await manager(app).advance_due()
    fetched = await ok(await tr.get(f"{center.base}/Tasks/{task['sid']}"))
    assert (fetched["assignment_status"], fetched["reason"]) == ("canceled", "Task TTL Exceeded")
