"""Health checks against a real HTTP server: 3 failures open an incident, 2 successes restore it."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI

from atende.ops.health_monitor import HealthMonitor
from tests.support.http_receiver import Receiver, http_receiver


async def set_check(http: httpx.AsyncClient, admin: dict[str, str], key: str, url: str) -> None:
    response = await http.put(f"/api/ops/components/{key}", json={"check_url": url}, headers=admin)
    assert response.status_code == 200


async def run(monitor: HealthMonitor, app: FastAPI, times: int) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(times):
            await monitor.tick(app.state.runtime, client)


async def health_incidents(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (await http.get("/api/incidents", headers=headers)).json()
    return [incident for incident in listed if incident["reporter"] == "atende-health"]


def component_status(status: dict[str, Any], key: str) -> str:
    found: str = next(item["status"] for item in status["components"] if item["key"] == key)
    return found


async def test_three_failures_open_an_incident_and_two_successes_restore_it(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    monitor = HealthMonitor()
    with http_receiver() as receiver:
        await set_check(http, admin, "whatsapp", receiver.url + "/health")
        receiver.script = [500, 500, 200, 500, 500]
        await run(monitor, ops_app, 5)
        assert await health_incidents(http, admin) == [], "failures were not consecutive"
        receiver.script = [503]
        await run(monitor, ops_app, 1)
        [incident] = await health_incidents(http, admin)
        assert incident["component"] == "whatsapp"
        assert incident["severity"] == "media"
        assert incident["title"] == "WhatsApp: verificação automática falhou"
        assert "HTTP 503" in incident["description"]
        status = (await http.get("/status.json")).json()
        assert component_status(status, "whatsapp") == "degraded_performance"

        receiver.script = [500, 500, 500]
        await run(monitor, ops_app, 3)
        assert len(await health_incidents(http, admin)) == 1, "still down: no second incident"

        await run(monitor, ops_app, 1)
        assert (await health_incidents(http, admin))[0]["status"] == "open"
        await run(monitor, ops_app, 1)
        [restored] = await health_incidents(http, admin)
        assert restored["status"] == "restored"
    status = (await http.get("/status.json")).json()
    assert component_status(status, "whatsapp") == "operational"


async def test_a_provider_status_page_reporting_an_outage_proposes_alta(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    receiver: Receiver
    with http_receiver() as receiver:
        receiver.reply_body = json.dumps(
            {"status": {"indicator": "critical", "description": "Major System Outage"}}
        ).encode()
        await set_check(http, admin, "voice", receiver.url + "/api/v2/status.json")
        await run(HealthMonitor(), ops_app, 3)
    [incident] = await health_incidents(http, admin)
    assert incident["severity"] == "alta"
    assert "Major System Outage" in incident["description"]
    status = (await http.get("/status.json")).json()
    assert component_status(status, "voice") == "partial_outage"


async def test_unreachable_status_url_counts_as_a_failure(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    with http_receiver() as receiver:
        url = receiver.url
    await set_check(http, admin, "reports", url + "/gone")
    await run(HealthMonitor(), ops_app, 3)
    [incident] = await health_incidents(http, admin)
    assert "não respondeu" in incident["description"]
