"""Escalation by WhatsApp template: queued when a level is engaged, sent through the
messaging domain's Graph API connector (against the fake Graph API), and every outcome, sent or
failed with its reason, in the incident's timeline."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import aiohttp
import httpx
import pytest
from fastapi import FastAPI

from atende.channels.whatsapp_cloud import WhatsAppCloudConnector
from atende.messaging.templates import TemplateRegistry
from atende.ops.delivery import NotificationDelivery
from tests.fakes.graph_api import FakeGraphAPI, fake_graph_api
from tests.ops.conftest import ops_context

PHONE_NUMBER_ID = "1098765432"
TEMPLATE = "escalonamento_incidente"
BODY = "Incidente {{1}} (severidade {{2}}) escalonado para o nível {{3}}. Detalhes: {{4}}"


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with fake_graph_api() as fake:
        yield fake


@pytest.fixture
def connector(graph: FakeGraphAPI) -> WhatsAppCloudConnector:
    """The messaging domain's connector, as a node configured for the fake Graph API has it."""
    return WhatsAppCloudConnector(
        app_secret="secret",
        access_token=graph.access_token,
        phone_number_id=PHONE_NUMBER_ID,
        graph_base=graph.url,
    )


@pytest.fixture
async def escalation(ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]) -> None:
    context = ops_context(ops_app)
    context.settings = dataclasses.replace(context.settings, whatsapp_template=TEMPLATE)
    levels = [
        {"name": "Suporte e prevenção"},
        {
            "name": "Coordenadores",
            "contacts": [{"name": "Dora", "role": "Coordenadora", "phone": "+55 (11) 98888-7777"}],
        },
    ]
    response = await http.put("/api/ops/escalation", json={"levels": levels}, headers=admin)
    assert response.status_code == 200, response.text


async def register_template(app: FastAPI) -> None:
    async with app.state.runtime.sessions() as session:
        await TemplateRegistry(session).register(
            name=TEMPLATE,
            language="pt_BR",
            body=BODY,
            variables=["titulo", "severidade", "nivel", "link"],
        )
        await session.commit()


async def open_and_escalate(http: httpx.AsyncClient, supervisor: dict[str, str]) -> str:
    created = await http.post(
        "/api/incidents", json={"title": "URA muda", "severity": "alta"}, headers=supervisor
    )
    sid: str = created.json()["sid"]
    escalated = await http.post(
        f"/api/incidents/{sid}/escalate", json={"reason": "cliente VIP"}, headers=supervisor
    )
    assert escalated.status_code == 200, escalated.text
    return sid


async def deliver(app: FastAPI, connector: WhatsAppCloudConnector) -> int:
    async with httpx.AsyncClient() as client, aiohttp.ClientSession() as session:
        delivery = NotificationDelivery(ops_context(app), client, connector, session)
        return await delivery.deliver_due(app.state.runtime.sessions)


async def entries(
    http: httpx.AsyncClient, sid: str, headers: dict[str, str], kind: str
) -> list[dict[str, Any]]:
    timeline = (await http.get(f"/api/incidents/{sid}", headers=headers)).json()["timeline"]
    return [entry["data"] for entry in timeline if entry["kind"] == kind]


@pytest.mark.usefixtures("escalation")
async def test_an_engaged_level_gets_the_approved_template_on_whatsapp(
    ops_app: FastAPI,
    http: httpx.AsyncClient,
    supervisor: dict[str, str],
    graph: FakeGraphAPI,
    connector: WhatsAppCloudConnector,
) -> None:
    await register_template(ops_app)
    sid = await open_and_escalate(http, supervisor)
    notified = await entries(http, sid, supervisor, "notified")
    assert [(n["channel"], n["recipient"], n["contact"]) for n in notified] == [
        ("whatsapp", "+5511988887777", "Dora")
    ]

    assert await deliver(ops_app, connector) == 1
    assert await deliver(ops_app, connector) == 0  # sent once, not again
    [sent] = graph.sent
    assert sent.phone_number_id == PHONE_NUMBER_ID
    assert sent.body["to"] == "5511988887777"
    assert sent.body["type"] == "template"
    template = sent.body["template"]
    assert template["name"] == TEMPLATE
    assert template["language"] == {"code": "pt_BR"}
    values = [p["text"] for p in template["components"][0]["parameters"]]
    assert values == [
        "URA muda",
        "ALTA",
        "2 (Coordenadores)",
        f"http://testserver/ops/incidents/{sid}",
    ]
    assert await entries(http, sid, supervisor, "notification_failed") == []


@pytest.mark.usefixtures("escalation")
async def test_a_refused_send_is_in_the_timeline_with_whatsapps_reason(
    ops_app: FastAPI,
    http: httpx.AsyncClient,
    supervisor: dict[str, str],
    graph: FakeGraphAPI,
    connector: WhatsAppCloudConnector,
) -> None:
    await register_template(ops_app)
    sid = await open_and_escalate(http, supervisor)
    graph.errors.append("131026")  # undeliverable: trying again will not help

    assert await deliver(ops_app, connector) == 1
    [failed] = await entries(http, sid, supervisor, "notification_failed")
    assert failed["channel"] == "whatsapp"
    assert failed["recipient"] == "+5511988887777"
    assert "não foi possível entregar" in failed["error"].lower()
    assert await deliver(ops_app, connector) == 0


@pytest.mark.usefixtures("escalation")
async def test_throttling_is_retried_before_anything_is_reported(
    ops_app: FastAPI,
    http: httpx.AsyncClient,
    supervisor: dict[str, str],
    graph: FakeGraphAPI,
    connector: WhatsAppCloudConnector,
) -> None:
    await register_template(ops_app)
    sid = await open_and_escalate(http, supervisor)
    graph.errors.append("130429")

    assert await deliver(ops_app, connector) == 1
    assert graph.sent == []
    assert await entries(http, sid, supervisor, "notification_failed") == []


@pytest.mark.usefixtures("escalation")
async def test_a_template_meta_has_not_approved_fails_at_once(
    ops_app: FastAPI,
    http: httpx.AsyncClient,
    supervisor: dict[str, str],
    graph: FakeGraphAPI,
    connector: WhatsAppCloudConnector,
) -> None:
    sid = await open_and_escalate(http, supervisor)
    [failed] = await entries(http, sid, supervisor, "notification_failed")
    assert failed["channel"] == "whatsapp"
    assert failed["contact"] == "Dora"
    assert TEMPLATE in failed["error"]
    assert await entries(http, sid, supervisor, "notified") == []
    assert await deliver(ops_app, connector) == 0
    assert graph.sent == []


async def test_without_a_configured_template_phones_get_no_whatsapp(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], supervisor: dict[str, str]
) -> None:
    levels = [
        {"name": "N1"},
        {"name": "N2", "contacts": [{"name": "Eva", "phone": "+5511977776666"}]},
    ]
    await http.put("/api/ops/escalation", json={"levels": levels}, headers=admin)
    sid = await open_and_escalate(http, supervisor)
    assert await entries(http, sid, supervisor, "notified") == []
    assert await entries(http, sid, supervisor, "notification_failed") == []
