"""Escalation end to end: the timer engages levels at shares of the target, e-mails reach a
real SMTP server, webhooks a real HTTP server, and acknowledgements land in the timeline."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from atende.ops.delivery import MAX_ATTEMPTS, NotificationDelivery
from atende.ops.jobs import escalation_tick
from tests.ops.conftest import FakeClock, ops_context
from tests.ops.smtp_receiver import Mailbox, smtp_receiver
from tests.support.http_receiver import Receiver, http_receiver


@pytest.fixture
def mailbox(ops_app: FastAPI) -> Iterator[Mailbox]:
    with smtp_receiver() as box:
        context = ops_context(ops_app)
        context.settings = dataclasses.replace(
            context.settings, smtp_host=box.host, smtp_port=box.port, smtp_sender="atende@c.example"
        )
        yield box


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    with http_receiver() as receiver:
        yield receiver


async def configure_escalation(
    http: httpx.AsyncClient, admin: dict[str, str], webhook_url: str
) -> None:
    levels = [
        {"name": "Suporte e prevenção", "contacts": [{"name": "Plantão", "email": "n1@c.example"}]},
        {
            "name": "Coordenadores especialistas",
            "at_share": 0.5,
            "webhook_url": webhook_url,
            "contacts": [
                {
                    "name": "Dora",
                    "role": "Coordenadora",
                    "phone": "+5511",
                    "email": "dora@c.example",
                }
            ],
        },
        {
            "name": "Gerência",
            "at_share": 1.0,
            "contacts": [{"name": "Eva", "email": "eva@c.example"}],
        },
        {"name": "Diretoria", "contacts": [{"name": "Fábio", "email": "fabio@c.example"}]},
    ]
    response = await http.put("/api/ops/escalation", json={"levels": levels}, headers=admin)
    assert response.status_code == 200, response.text
    assert [level["position"] for level in response.json()["levels"]] == [1, 2, 3, 4]


async def deliver(app: FastAPI) -> int:
    async with httpx.AsyncClient() as client:
        delivery = NotificationDelivery(ops_context(app), client)
        return await delivery.deliver_due(app.state.runtime.sessions)


async def timeline(
    http: httpx.AsyncClient, sid: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (
        await http.get(f"/api/incidents/{sid}", headers=headers)
    ).json()["timeline"]
    return entries


async def test_levels_are_engaged_at_shares_of_the_target_and_told(
    ops_app: FastAPI,
    http: httpx.AsyncClient,
    admin: dict[str, str],
    supervisor: dict[str, str],
    clock: FakeClock,
    mailbox: Mailbox,
    webhook: Receiver,
) -> None:
    await configure_escalation(http, admin, webhook.url + "/escalations")
    created = await http.post(
        "/api/incidents", json={"title": "WhatsApp fora", "severity": "alta"}, headers=supervisor
    )
    incident = created.json()
    sid = incident["sid"]
    # Half of the 30-minute response target: 10:15 in São Paulo.
    assert incident["next_escalation_at"] == "2026-11-16T13:15:00Z"

    clock.set("2026-11-16 10:14")
    assert await escalation_tick(ops_app.state.runtime) == 0
    clock.set("2026-11-16 10:15")
    assert await escalation_tick(ops_app.state.runtime) == 1
    entries = await timeline(http, sid, supervisor)
    escalated = [e for e in entries if e["kind"] == "escalated"]
    assert [e["data"]["level"] for e in escalated] == [2]
    notified = {
        (e["data"]["channel"], e["data"]["recipient"]) for e in entries if e["kind"] == "notified"
    }
    assert notified == {("email", "dora@c.example"), ("webhook", webhook.url + "/escalations")}

    assert await deliver(ops_app) == 2
    received = await asyncio.to_thread(webhook.wait_for, 1)
    payload = json.loads(received[0].body)
    assert payload["event"] == "incident.escalated"
    assert payload["incident"]["sid"] == sid
    assert payload["level"] == {"position": 2, "name": "Coordenadores especialistas"}
    assert payload["sla"]["response_due_at"] == "2026-11-16T13:30:00+00:00"
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert mailbox.recipients[0] == ["dora@c.example"]
    assert "nível 2" in message["Subject"]
    body: str = message.get_content()
    assert "Severidade: ALTA" in body
    assert "Início do atendimento até: 16/11/2026 10:30" in body

    ack_path = re.search(r"http://testserver(/api/incidents/ack/\S+)", body)
    assert ack_path is not None
    ack = await http.get(ack_path.group(1))
    assert ack.status_code == 200
    assert "Recebimento confirmado" in ack.text
    acknowledged = [e for e in await timeline(http, sid, supervisor) if e["kind"] == "acknowledged"]
    assert acknowledged[0]["data"] == {"level": 2, "by": "dora@c.example", "via": "email"}

    clock.set("2026-11-16 10:31")
    await escalation_tick(ops_app.state.runtime)
    await deliver(ops_app)
    assert mailbox.recipients[-1] == ["eva@c.example"]

    on_demand = await http.post(
        f"/api/incidents/{sid}/escalate", json={"reason": "cliente VIP"}, headers=supervisor
    )
    assert on_demand.json()["escalation_level"] == 4
    last = [e for e in on_demand.json()["timeline"] if e["kind"] == "escalated"][-1]
    assert last["data"] == {
        "level": 4,
        "name": "Diretoria",
        "trigger": "on_demand",
        "reason": "cliente VIP",
    }
    beyond = await http.post(
        f"/api/incidents/{sid}/escalate", json={"reason": "de novo"}, headers=supervisor
    )
    assert beyond.status_code == 409


async def test_paused_incidents_do_not_escalate(
    ops_app: FastAPI, http: httpx.AsyncClient, supervisor: dict[str, str], clock: FakeClock
) -> None:
    created = await http.post(
        "/api/incidents",
        json={"title": "Relatórios lentos", "severity": "media"},
        headers=supervisor,
    )
    sid = created.json()["sid"]
    paused = await http.post(
        f"/api/incidents/{sid}/pause", json={"reason": "aguardando TI"}, headers=supervisor
    )
    assert paused.json()["next_escalation_at"] is None
    clock.set("2026-11-16 17:00")
    resumed = await http.post(f"/api/incidents/{sid}/resume", headers=supervisor)
    # Paused at opening, so nothing was used: half of the 2 h response target is 18:00.
    assert resumed.json()["next_escalation_at"] == "2026-11-16T21:00:00Z"


async def test_imported_incidents_record_levels_without_telling_anyone(
    ops_app: FastAPI,
    http: httpx.AsyncClient,
    admin: dict[str, str],
    supervisor: dict[str, str],
    webhook: Receiver,
) -> None:
    await configure_escalation(http, admin, webhook.url)
    created = await http.post(
        "/api/incidents",
        json={"title": "Queda antiga", "severity": "alta", "opened_at": "2026-11-02T10:00:00Z"},
        headers=supervisor,
    )
    body = created.json()
    assert body["escalation_level"] == 3
    assert [e["kind"] for e in body["timeline"]] == ["opened", "escalated", "escalated"]
    assert await deliver(ops_app) == 0


async def test_failed_webhooks_are_retried_then_reported_in_the_timeline(
    ops_app: FastAPI,
    http: httpx.AsyncClient,
    admin: dict[str, str],
    supervisor: dict[str, str],
    clock: FakeClock,
    webhook: Receiver,
) -> None:
    webhook.default_status = 500
    await configure_escalation(http, admin, webhook.url)
    sid = (
        await http.post(
            "/api/incidents", json={"title": "Roteamento", "severity": "alta"}, headers=supervisor
        )
    ).json()["sid"]
    clock.set("2026-11-16 10:16")
    await escalation_tick(ops_app.state.runtime)
    for _ in range(MAX_ATTEMPTS):
        clock.now += timedelta(hours=2)  # past any backoff
        await deliver(ops_app)
    failures = [
        e for e in await timeline(http, sid, supervisor) if e["kind"] == "notification_failed"
    ]
    channels = sorted(e["data"]["channel"] for e in failures)
    # No SMTP server is configured here either, so the e-mail gives up too.
    assert channels == ["email", "webhook"]
    assert (
        "HTTP 500"
        in next(e for e in failures if e["data"]["channel"] == "webhook")["data"]["error"]
    )
    assert len(webhook.requests) == MAX_ATTEMPTS
