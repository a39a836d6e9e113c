"""Lists: Twilio's paging (clients follow `next_page_url` verbatim) and the list filters,
including expressions evaluated against every worker and task without a rate limit."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.taskrouter.builders import build_center, ok


async def test_pages_follow_next_page_url_to_the_end(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    created = [await center.worker(f"agent{index}", available=False) for index in range(5)]
    seen: list[str] = []
    url: str | None = f"{center.base}/Workers?PageSize=2"
    pages = 0
    while url is not None:
        body = await ok(await tr.get(url))
        meta = body["meta"]
        assert (meta["page"], meta["page_size"], meta["key"]) == (pages, 2, "workers")
        assert meta["first_page_url"].endswith(f"{center.base}/Workers?PageSize=2&Page=0")
        assert (meta["previous_page_url"] is None) == (pages == 0)
        seen += [worker["sid"] for worker in body["workers"]]
        url = meta["next_page_url"]
        pages += 1
    assert seen == created
    assert pages == 3


async def test_worker_filters(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    ana = await center.worker("ana", languages=["pt", "en"], level=7)
    bia = await center.worker("bia", available=False, languages=["pt"], level=3)
    outsider = await ok(
        await tr.post(
            f"{center.base}/Workers",
            data={"FriendlyName": "caio", "Attributes": json.dumps({"skills": ["vida"]})},
        ),
        201,
    )

    async def sids(**params: str) -> list[str]:
        body = await ok(await tr.get(f"{center.base}/Workers", params=params))
        return [worker["sid"] for worker in body["workers"]]

    assert await sids(TargetWorkersExpression="languages HAS 'en' OR level < 5") == [ana, bia]
    assert await sids(TaskQueueSid=center.queue) == [ana, bia]
    assert await sids(TaskQueueName="Auto", Available="true") == [ana]
    assert await sids(ActivityName="Offline") == [bia, outsider["sid"]]
    assert await sids(FriendlyName="bia") == [bia]
    assert await sids(Ordering="DateCreated:desc") == [outsider["sid"], bia, ana]


async def test_queue_and_task_filters(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    await ok(
        await tr.post(
            f"{center.base}/TaskQueues", data={"FriendlyName": "Vida", "TargetWorkers": "vida == 1"}
        ),
        201,
    )
    queues = await ok(
        await tr.get(
            f"{center.base}/TaskQueues", params={"EvaluateWorkerAttributes": '{"vida": 1}'}
        )
    )
    assert [queue["friendly_name"] for queue in queues["task_queues"]] == ["Vida"]

    cheap = await center.task(product="auto", premium=100)
    dear = await center.task(product="auto", premium=900)
    await center.task(product="vida", premium=500)

    async def sids(**params: str) -> list[str]:
        body = await ok(await tr.get(f"{center.base}/Tasks", params=params))
        return [task["sid"] for task in body["tasks"]]

    expression = "product == 'auto' AND premium > 50"
    assert await sids(EvaluateTaskAttributes=expression) == [cheap["sid"], dear["sid"]]
    assert await sids(EvaluateTaskAttributes=expression, PageSize="1", Page="1") == [dear["sid"]]
    assert len(await sids(AssignmentStatus="pending", WorkflowName="Vendas")) == 3
    assert await sids(TaskQueueName="Vida") == []


async def test_worker_channel_capacity_lets_a_worker_take_several_chats(
    tr: httpx.AsyncClient,
) -> None:
    center = await build_center(tr)
    ana = await center.worker("ana")
    channel = await ok(
        await tr.post(f"{center.base}/Workers/{ana}/Channels/chat", data={"Capacity": "3"})
    )
    assert channel["configured_capacity"] == 3
    for _ in range(4):
        await ok(
            await tr.post(
                f"{center.base}/Tasks",
                data={"WorkflowSid": center.workflow, "TaskChannel": "chat", "Attributes": "{}"},
            ),
            201,
        )
    reserved = await ok(
        await tr.get(
            f"{center.base}/Workers/{ana}/Reservations", params={"ReservationStatus": "pending"}
        )
    )
    assert len(reserved["reservations"]) == 3
    channel = await ok(await tr.get(f"{center.base}/Workers/{ana}/Channels/chat"))
    assert channel["available_capacity_percentage"] == 0


async def test_event_filters(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    worker = await center.worker("ana")
    task = await center.task()

    async def events(**params: str) -> list[dict[str, Any]]:
        body = await ok(await tr.get(f"{center.base}/Events", params=params))
        return list(body["events"])

    created = await events(EventType="reservation.created")
    assert [(e["resource_type"], e["event_data"]["task_sid"]) for e in created] == [
        ("reservation", task["sid"])
    ]
    assert created[0]["event_data"]["worker_sid"] == worker
    assert created[0]["resource_url"].endswith(
        f"/Tasks/{task['sid']}/Reservations/{created[0]['resource_sid']}"
    )
    assert [e["sid"] for e in await events(Sid=created[0]["sid"])] == [created[0]["sid"]]
    by_worker = await events(WorkerSid=worker)
    assert {e["event_type"] for e in by_worker} >= {"worker.created", "reservation.created"}
    assert await events(TaskQueueSid="WQ" + "0" * 32) == []
    in_queue = await events(TaskQueueSid=center.queue)
    assert in_queue and all(e["event_data"]["task_queue_sid"] == center.queue for e in in_queue)
    assert await events(WorkflowSid=center.workflow, EventType="task.created")
