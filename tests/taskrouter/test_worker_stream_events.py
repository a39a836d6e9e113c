"""A task's updates reach the desk of the worker holding it: the worker's push stream follows
the events that name the worker (live through the bus, replayed from the stored events)."""

from __future__ import annotations

import asyncio
import json

import httpx
from fastapi import FastAPI

from atende.events.bus import EventBus
from tests.taskrouter.builders import build_center, ok


async def test_an_update_of_a_task_a_worker_holds_reaches_that_worker(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    ana = await center.worker("ana")
    waiting = await center.task(customer="Bia")  # offered to ana, the only worker
    [offer] = await center.reservations(waiting["sid"])
    assert offer["worker_sid"] == ana
    task_url = f"{center.base}/Tasks/{waiting['sid']}"
    await ok(
        await tr.post(
            f"{task_url}/Reservations/{offer['sid']}", data={"ReservationStatus": "accepted"}
        )
    )
    bus: EventBus = app.state.runtime.services["bus"]

    with bus.subscribe(
        lambda event: event.get("worker_sid") == ana and event["event_type"].startswith("task.")
    ) as anas_stream:
        attributes = {"customer": "Bia", "plate": "ABC1D23"}
        await ok(await tr.post(task_url, data={"Attributes": json.dumps(attributes)}))
        # (Through Redis, the accept's own events may still be on their way: only task events.)
        live = await asyncio.wait_for(anas_stream.get(), 5)

    assert (live["event_type"], live["task_sid"]) == ("task.updated", waiting["sid"])
    assert json.loads(live["data"]["task_attributes"]) == attributes
    stored = await ok(await tr.get(f"{center.base}/Events", params={"WorkerSid": ana}))
    assert "task.updated" in [event["event_type"] for event in stored["events"]]


async def test_an_update_of_a_waiting_task_names_no_worker(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    waiting = await center.task(customer="Caio")  # nobody to offer it to
    await ok(await tr.post(f"{center.base}/Tasks/{waiting['sid']}", data={"Priority": "5"}))

    stored = await ok(await tr.get(f"{center.base}/Events", params={"TaskSid": waiting["sid"]}))
    [updated] = [event for event in stored["events"] if event["event_type"] == "task.updated"]
    assert updated["event_data"].get("worker_sid") in (None, "")
