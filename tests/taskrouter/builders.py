"""Building a small contact center through the API, for tests that need one to exist."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@dataclass
class Center:
    """A workspace with an `Available` and an `Offline` activity, one queue for every worker
    whose `skills` has `auto`, and a workflow sending every task there."""

    http: httpx.AsyncClient
    sid: str
    available: str
    offline: str
    queue: str
    workflow: str

    @property
    def base(self) -> str:
        return f"/v1/Workspaces/{self.sid}"

    async def worker(self, name: str, *, available: bool = True, **attributes: Any) -> str:
        data = {
            "FriendlyName": name,
            "Attributes": json.dumps({"skills": ["auto"], **attributes}),
            "ActivitySid": self.available if available else self.offline,
        }
        return str((await ok(await self.http.post(f"{self.base}/Workers", data=data), 201))["sid"])

    async def task(self, workflow: str | None = None, **attributes: Any) -> dict[str, Any]:
        data = {"WorkflowSid": workflow or self.workflow, "Attributes": json.dumps(attributes)}
        task: dict[str, Any] = await ok(await self.http.post(f"{self.base}/Tasks", data=data), 201)
        return task

    async def reservations(self, task_sid: str) -> list[dict[str, Any]]:
        body = await ok(await self.http.get(f"{self.base}/Tasks/{task_sid}/Reservations"))
        return list(body["reservations"])

    async def workflow_with(self, **fields: str) -> str:
        configuration = {"task_routing": {"filters": [], "default_filter": {"queue": self.queue}}}
        data = {"FriendlyName": "W", "Configuration": json.dumps(configuration), **fields}
        body = await ok(await self.http.post(f"{self.base}/Workflows", data=data), 201)
        return str(body["sid"])


async def build_center(http: httpx.AsyncClient, **workspace: str) -> Center:
    data = {"FriendlyName": "Corretora", **workspace}
    sid = (await ok(await http.post("/v1/Workspaces", data=data), 201))["sid"]
    base = f"/v1/Workspaces/{sid}"
    activities = (await ok(await http.get(f"{base}/Activities")))["activities"]
    by_name = {activity["friendly_name"]: activity["sid"] for activity in activities}
    queue = await ok(
        await http.post(
            f"{base}/TaskQueues",
            data={"FriendlyName": "Auto", "TargetWorkers": "skills HAS 'auto'"},
        ),
        201,
    )
    center = Center(http, sid, by_name["Available"], by_name["Offline"], queue["sid"], "")
    center.workflow = await center.workflow_with(FriendlyName="Vendas")
    return center
