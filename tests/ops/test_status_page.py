"""The public status page: components, incidents and maintenance, in JSON and in pt-BR HTML."""

from __future__ import annotations

from typing import Any

import httpx

from tests.ops.conftest import FakeClock


def component(body: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(item for item in body["components"] if item["key"] == key)
    return found


async def test_fresh_install_is_all_operational(http: httpx.AsyncClient) -> None:
    body = (await http.get("/status.json")).json()
    assert body["status"] == "operational"
    assert [item["key"] for item in body["components"]] == [
        "voice",
        "whatsapp",
        "desk",
        "routing",
        "reports",
    ]
    assert all(len(item["days"]) == 90 for item in body["components"])
    assert body["components"][0]["days"][-1]["date"] == "2026-11-16"
    assert body["incidents"] == []


async def test_incidents_set_component_status_and_publish_updates(
    http: httpx.AsyncClient, agent: dict[str, str], supervisor: dict[str, str], clock: FakeClock
) -> None:
    clock.set("2026-11-16 09:00")
    created = await http.post(
        "/api/incidents",
        json={"title": "WhatsApp sem mensagens", "component": "whatsapp", "total_outage": True},
        headers=agent,
    )
    sid = created.json()["sid"]
    await http.post(
        f"/api/incidents/{sid}/comments",
        json={"text": "A Meta confirmou instabilidade.", "public": True},
        headers=agent,
    )
    await http.post(
        f"/api/incidents/{sid}/comments", json={"text": "senha do painel: x"}, headers=agent
    )
    body = (await http.get("/status.json")).json()
    assert body["status"] == "major_outage"
    assert component(body, "whatsapp")["status"] == "major_outage"
    assert component(body, "voice")["status"] == "operational"
    [incident] = body["incidents"]
    texts = [update["text"] for update in incident["updates"]]
    assert texts == ["A Meta confirmou instabilidade.", "Incidente identificado"]

    clock.set("2026-11-16 12:00")
    await http.post(f"/api/incidents/{sid}/restore", headers=supervisor)
    after = (await http.get("/status.json")).json()
    whatsapp = component(after, "whatsapp")
    assert whatsapp["status"] == "operational"
    today = whatsapp["days"][-1]
    assert today["status"] == "major_outage"
    assert today["uptime"] == 1 - 3 / 24
    assert after["incidents"][0]["updates"][0]["text"] == "Serviço restabelecido"


async def test_maintenance_and_manual_status(
    http: httpx.AsyncClient, admin: dict[str, str], clock: FakeClock
) -> None:
    now = await http.post(
        "/api/ops/maintenance",
        json={
            "component": "routing",
            "title": "Atualização do banco",
            "starts_at": "2026-11-16T12:00:00Z",
            "ends_at": "2026-11-16T14:00:00Z",
        },
        headers=admin,
    )
    assert now.status_code == 201
    later = await http.post(
        "/api/ops/maintenance",
        json={
            "component": "voice",
            "title": "Troca de operadora",
            "starts_at": "2026-11-20T02:00:00Z",
            "ends_at": "2026-11-20T04:00:00Z",
        },
        headers=admin,
    )
    assert later.status_code == 201
    body = (await http.get("/status.json")).json()
    assert component(body, "routing")["status"] == "under_maintenance"
    assert component(body, "voice")["status"] == "operational"
    assert [window["title"] for window in body["maintenance"]] == [
        "Atualização do banco",
        "Troca de operadora",
    ]
    manual = await http.put(
        "/api/ops/components/reports",
        json={"manual_status": "degraded_performance"},
        headers=admin,
    )
    assert manual.status_code == 200
    assert component((await http.get("/status.json")).json(), "reports")["status"] == (
        "degraded_performance"
    )
    wrong = await http.put(
        "/api/ops/components/reports", json={"manual_status": "quebrado"}, headers=admin
    )
    assert wrong.status_code == 422
    backwards = await http.post(
        "/api/ops/maintenance",
        json={
            "component": "voice",
            "title": "x",
            "starts_at": "2026-11-20T04:00:00Z",
            "ends_at": "2026-11-20T02:00:00Z",
        },
        headers=admin,
    )
    assert backwards.status_code == 422


async def test_html_page_is_public_and_in_portuguese(
    http: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    await http.post(
        "/api/incidents",
        json={"title": "Ligações <caindo>", "component": "voice", "severity": "alta"},
        headers=agent,
    )
    page = await http.get("/status")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="pt-BR">' in page.text
    assert "Interrupção parcial" in page.text
    assert "Mesa do agente" in page.text
    assert "Ligações &lt;caindo&gt;" in page.text
    assert page.text.count('class="bars"') == 5
