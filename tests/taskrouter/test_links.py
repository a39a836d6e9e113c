"""A client can navigate the API as TaskRouter's clients do: every resource's `url` answers
with that resource, and every one of its `links` answers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.taskrouter.builders import build_center, ok


async def _followed(tr: httpx.AsyncClient, resource: dict[str, Any]) -> None:
    assert (await ok(await tr.get(resource["url"])))["sid"] == resource["sid"]
    for name, link in resource["links"].items():
        response = await tr.get(link)
        assert response.status_code == 200, f"{name}: {link} answered {response.status_code}"


async def test_every_url_and_link_of_a_working_center_answers(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    ana = await center.worker("ana")
    task = await center.task(customer="Bia")
    [reservation] = await center.reservations(task["sid"])
    base = center.base
    resources = [
        await ok(await tr.get(base)),
        await ok(await tr.get(f"{base}/Workers/{ana}")),
        task,
        reservation,
        await ok(await tr.get(f"{base}/TaskQueues/{center.queue}")),
        await ok(await tr.get(f"{base}/Workflows/{center.workflow}")),
        await ok(await tr.get(f"{base}/Activities/{center.available}")),
        (await ok(await tr.get(f"{base}/TaskChannels")))["channels"][0],
    ]

    for resource in resources:
        assert resource["url"].startswith("http://testserver/v1/Workspaces/")
        assert resource["links"], f"{resource['url']} has no links"
        await _followed(tr, resource)
