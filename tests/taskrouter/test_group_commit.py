"""Creates arriving together share a transaction (group commit), and each still gets its own
answer: its task, reserved to its own worker, or its own error."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from tests.taskrouter.builders import build_center, ok

WORKERS = 12


async def test_concurrent_creates_each_get_their_task_and_their_worker(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    workers = {await center.worker(f"agent{index}") for index in range(WORKERS)}
    commits: list[int] = []
    engine = app.state.runtime.engine.sync_engine
    listener = lambda _connection: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        tasks = await asyncio.gather(*(center.task(customer=index) for index in range(WORKERS + 3)))
    finally:
        event.remove(engine, "commit", listener)

    assert len({task["sid"] for task in tasks}) == WORKERS + 3
    assert sorted(json.loads(task["attributes"])["customer"] for task in tasks) == list(
        range(WORKERS + 3)
    )
    statuses = Counter(task["assignment_status"] for task in tasks)
    assert statuses == {"reserved": WORKERS, "pending": 3}
    holders = [
        (await center.reservations(task["sid"]))[0]["worker_sid"]
        for task in tasks
        if task["assignment_status"] == "reserved"
    ]
    assert sorted(holders) == sorted(workers), "one task per worker (capacity 1)"
    # Fifteen creates in fewer transactions: those that arrived during a commit shared the next.
    assert len(commits) < WORKERS + 3


async def test_a_refused_create_does_not_take_the_others_down(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    await center.worker("bia")
    url = f"{center.base}/Tasks"
    good = {"WorkflowSid": center.workflow, "Attributes": "{}"}

    responses = await asyncio.gather(
        tr.post(url, data=good),
        tr.post(url, data={**good, "TaskChannel": "fax"}),
        tr.post(url, data={**good, "WorkflowSid": "WW" + "0" * 32}),
        tr.post(url, data=good),
    )

    assert [response.status_code for response in responses] == [201, 400, 400, 201]
    assert "TaskChannel" in responses[1].json()["message"]
    assert "WorkflowSid" in responses[2].json()["message"]
    listed = await ok(await tr.get(url))
    assert {task["sid"] for task in listed["tasks"]} == {
        responses[0].json()["sid"],
        responses[3].json()["sid"],
    }
