"""Support configuration over HTTP: the closures table moves deadlines; lists are audited."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from atende.ops.repository import OpsRepository
from tests.ops.conftest import FakeClock


async def test_a_closure_moves_the_deadlines(
    http: httpx.AsyncClient, admin: dict[str, str], agent: dict[str, str], clock: FakeClock
) -> None:
    added = await http.post(
        "/api/ops/closures",
        json={"day": "2026-11-17", "reason": "Inventário anual"},
        headers=admin,
    )
    assert added.status_code == 201
    clock.set("2026-11-16 17:00")
    incident = await http.post(
        "/api/incidents", json={"title": "x", "severity": "media"}, headers=agent
    )
    # One hour on Monday; Tuesday is closed; the second hour is Wednesday 09:00-10:00.
    assert incident.json()["sla"]["response_due_at"] == "2026-11-18T13:00:00Z"

    removed = await http.delete(f"/api/ops/closures/{added.json()['id']}", headers=admin)
    assert removed.status_code == 204
    again = await http.get(f"/api/incidents/{incident.json()['sid']}", headers=agent)
    assert again.json()["sla"]["response_due_at"] == "2026-11-17T13:00:00Z"


async def test_partial_closure_validation_and_roles(
    http: httpx.AsyncClient, admin: dict[str, str], agent: dict[str, str]
) -> None:
    backwards = await http.post(
        "/api/ops/closures",
        json={"day": "2026-02-18", "reason": "Cinzas", "starts": "12:00", "ends": "09:00"},
        headers=admin,
    )
    assert backwards.status_code == 422
    forbidden = await http.post(
        "/api/ops/closures", json={"day": "2026-02-18", "reason": "Cinzas"}, headers=agent
    )
    assert forbidden.status_code == 403
    listed = await http.get("/api/ops/closures", headers=agent)
    assert listed.json() == []


async def test_default_escalation_list_and_sla_table(
    http: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    levels = (await http.get("/api/ops/escalation", headers=agent)).json()["levels"]
    assert [(level["name"], level["at_share"]) for level in levels] == [
        ("Suporte e prevenção", None),
        ("Coordenadores especialistas", 0.5),
        ("Gerência", 1.0),
        ("Diretoria", None),
    ]
    table = (await http.get("/api/ops/sla", headers=agent)).json()
    assert [
        (row["label"], row["response_target_seconds"], row["restore_target_seconds"])
        for row in table["severities"]
    ] == [("ALTA", 1800, 7200), ("MÉDIA", 7200, 14400), ("BAIXA", 14400, 86400)]
    assert (table["opens"], table["closes"], table["weekdays"]) == (
        "09:00:00",
        "18:00:00",
        [0, 1, 2, 3, 4],
    )
    assert table["outage_calendar"] == "24x7"


async def test_changes_are_audited(
    ops_app: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await http.put(
        "/api/ops/escalation", json={"levels": [{"name": "Único", "contacts": []}]}, headers=admin
    )
    await http.post(
        "/api/ops/closures", json={"day": "2026-12-24", "reason": "Véspera"}, headers=admin
    )
    async with ops_app.state.runtime.sessions() as session:
        repo = OpsRepository(session)
        escalation = await repo.audit("escalation")
        closures = await repo.audit("closures")
    assert [(row.action, row.actor) for row in escalation] == [("replaced", "carla")]
    assert closures[0].data["day"] == "2026-12-24"
