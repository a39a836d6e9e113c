"""Statistics figures after a scenario played on a clock the test moves."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from atende.config import Settings
from tests.taskrouter.builders import Center, build_center, ok
from tests.taskrouter.test_timers import FakeClock


@pytest.fixture
def settings(settings: Settings, database_url: str) -> Settings:
    """Without background loops (asking for `database_url` keeps this parametrized)."""
    return replace(settings, run_background=False)


@pytest.fixture
def clock(app: FastAPI) -> FakeClock:
    fake = FakeClock()
    fake.now -= fake.now % 60  # start on a minute, so the scenario stays in one bucket
    app.state.runtime.services["taskrouter"].clock = fake
    return fake


async def _post(center: Center, path: str, **data: str) -> Any:
    return await ok(await center.http.post(center.base + path, data=data))


async def _get(center: Center, path: str, **params: str) -> Any:
    return await ok(await center.http.get(center.base + path, params=params))


async def test_statistics_after_a_scenario(tr: httpx.AsyncClient, clock: FakeClock) -> None:
    center = await build_center(tr)
    ana = await center.worker("ana")
    clock.now += 1  # ana has been idle the longest
    bia = await center.worker("bia")
    await center.worker("carla", available=False)

    first = await center.task(product="auto")
    clock.now += 10
    offer = (await center.reservations(first["sid"]))[0]
    assert offer["worker_sid"] == ana
    await _post(
        center, f"/Tasks/{first['sid']}/Reservations/{offer['sid']}", ReservationStatus="accepted"
    )
    second = await center.task()  # offered to bia at +10
    clock.now += 4
    offer = (await center.reservations(second["sid"]))[0]
    assert offer["worker_sid"] == bia
    await _post(
        center,
        f"/Workers/{bia}/Reservations/{offer['sid']}",
        ReservationStatus="rejected",
        WorkerActivitySid=center.offline,
    )
    third = await center.http.post(
        f"{center.base}/Tasks", data={"WorkflowSid": center.workflow, "Priority": "7"}
    )
    third_sid = (await ok(third, 201))["sid"]
    clock.now += 6  # now +20: second waited 10 s, third 6 s

    realtime = await _get(center, "/RealTimeStatistics")
    assert realtime["tasks_by_status"] == {
        "pending": 2,
        "reserved": 0,
        "assigned": 1,
        "wrapping": 0,
        "completed": 0,
        "canceled": 0,
    }
    assert realtime["longest_task_waiting_sid"] == second["sid"]
    assert realtime["longest_task_waiting_age"] == 10
    assert realtime["tasks_by_priority"] == {"0": 1, "7": 1}
    assert {a["friendly_name"]: a["workers"] for a in realtime["activity_statistics"]} == {
        "Offline": 2,
        "Available": 1,
        "Unavailable": 0,
    }
    queue = await _get(center, f"/TaskQueues/{center.queue}/RealTimeStatistics")
    assert (queue["total_eligible_workers"], queue["total_available_workers"]) == (3, 1)
    assert queue["longest_relative_task_sid_in_queue"] == second["sid"]

    await _post(center, f"/Tasks/{third_sid}", AssignmentStatus="canceled")
    cumulative = await _get(center, "/CumulativeStatistics", SplitByWaitTime="8,60")
    assert cumulative["tasks_created"] == 3
    assert cumulative["tasks_canceled"] == 1
    assert cumulative["reservations_created"] == 2
    assert cumulative["reservations_accepted"] == 1
    assert cumulative["reservations_rejected"] == 1
    assert cumulative["avg_task_acceptance_time"] == 10
    assert cumulative["wait_duration_until_accepted"] == {
        "avg": 10,
        "min": 10,
        "max": 10,
        "total": 10,
    }
    assert cumulative["wait_duration_until_canceled"]["total"] == 6
    split = cumulative["split_by_wait_time"]
    assert split["8"]["above"] == {"reservations_accepted": 1, "tasks_canceled": 0}
    assert split["8"]["below"] == {"reservations_accepted": 0, "tasks_canceled": 1}
    assert split["60"]["below"] == {"reservations_accepted": 1, "tasks_canceled": 1}

    workflow = await _get(center, f"/Workflows/{center.workflow}/CumulativeStatistics")
    assert (workflow["tasks_entered"], workflow["tasks_canceled"]) == (3, 1)
    queue_totals = await _get(center, f"/TaskQueues/{center.queue}/CumulativeStatistics")
    assert queue_totals["tasks_entered"] == 3
    assert queue_totals["wait_duration_in_queue_until_accepted"]["max"] == 10

    ana_stats = await _get(center, f"/Workers/{ana}/Statistics")
    assert ana_stats["cumulative"]["reservations_accepted"] == 1
    assert ana_stats["cumulative"]["tasks_assigned"] == 1
    workers = await _get(center, "/Workers/CumulativeStatistics")
    available = next(a for a in workers["activity_durations"] if a["friendly_name"] == "Available")
    assert available["total"] == 14  # bia was available from creation until she rejected

    clock.now += 600
    later = await _get(center, "/CumulativeStatistics", Minutes="5")
    assert later["tasks_created"] == 0
    assert (await _get(center, "/CumulativeStatistics", Minutes="15"))["tasks_created"] == 3


async def test_queue_statistics_in_bulk_and_as_a_list(
    tr: httpx.AsyncClient, clock: FakeClock
) -> None:
    center = await build_center(tr)
    await center.task()
    body = await ok(
        await tr.post(
            f"{center.base}/TaskQueues/RealTimeStatistics", json={"QueueSids": [center.queue]}
        )
    )
    assert body["task_queue_response_count"] == 1
    assert body["task_queue_data"][0]["tasks_by_status"]["pending"] == 1
    listed = await _get(center, "/TaskQueues/Statistics")
    assert [item["task_queue_sid"] for item in listed["task_queues_statistics"]] == [center.queue]
    assert listed["task_queues_statistics"][0]["cumulative"]["tasks_entered"] == 1
