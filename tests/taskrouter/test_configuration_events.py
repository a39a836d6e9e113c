"""Changing the configuration is recorded as TaskRouter records it: each create, update and
delete of activities, task channels, queues and workflows, and a workspace update, is an event
in the Events resource."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.taskrouter.builders import build_center, ok


async def _event_types(tr: httpx.AsyncClient, url: str) -> list[str]:
    types: list[str] = []
    page: str | None = f"{url}/Events?PageSize=200"
    while page:
        body: dict[str, Any] = await ok(await tr.get(page))
        types += [event["event_type"] for event in body["events"]]
        page = body["meta"]["next_page_url"]
    return types


async def test_configuration_changes_are_events(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    base = center.base
    await ok(await tr.post(base, data={"FriendlyName": "Corretora Segura"}))

    activity = await ok(
        await tr.post(f"{base}/Activities", data={"FriendlyName": "Reunião", "Available": "false"}),
        201,
    )
    await ok(await tr.post(f"{base}/Activities/{activity['sid']}", data={"FriendlyName": "Café"}))
    await ok(await tr.delete(f"{base}/Activities/{activity['sid']}"), 204)

    channel = await ok(
        await tr.post(f"{base}/TaskChannels", data={"FriendlyName": "Fax", "UniqueName": "fax"}),
        201,
    )
    await ok(await tr.post(f"{base}/TaskChannels/{channel['sid']}", data={"FriendlyName": "Fax 2"}))
    await ok(await tr.delete(f"{base}/TaskChannels/{channel['sid']}"), 204)

    queue = await ok(await tr.post(f"{base}/TaskQueues", data={"FriendlyName": "Vida"}), 201)
    await ok(
        await tr.post(
            f"{base}/TaskQueues/{queue['sid']}", data={"TargetWorkers": "skills HAS 'vida'"}
        )
    )
    routing = {"task_routing": {"filters": [], "default_filter": {"queue": queue["sid"]}}}
    workflow = await ok(
        await tr.post(
            f"{base}/Workflows",
            data={"FriendlyName": "Vida", "Configuration": json.dumps(routing)},
        ),
        201,
    )
    await ok(await tr.post(f"{base}/Workflows/{workflow['sid']}", data={"FriendlyName": "Vida 2"}))
    await ok(await tr.delete(f"{base}/Workflows/{workflow['sid']}"), 204)
    await ok(await tr.delete(f"{base}/TaskQueues/{queue['sid']}"), 204)

    recorded = set(await _event_types(tr, base))
    assert {
        "workspace.updated",
        "activity.created",
        "activity.updated",
        "activity.deleted",
        "task-channel.created",
        "task-channel.updated",
        "task-channel.deleted",
        "task-queue.created",
        "task-queue.expression.updated",
        "task-queue.deleted",
        "workflow.created",
        "workflow.updated",
        "workflow.deleted",
    } <= recorded, recorded
