"""The native incidents API: the issue's JSON contract and every change of state."""

from __future__ import annotations

from typing import Any

import httpx

from tests.ops.conftest import FakeClock


async def open_incident(
    http: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    body = {"title": "URA não atende", "component": "voice", **fields}
    response = await http.post("/api/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    incident: dict[str, Any] = response.json()
    return incident


async def test_post_answers_201_with_the_sla(
    http: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    incident = await open_incident(
        http, agent, severity="alta", affected_users_pct=30, total_outage=False
    )
    sla = incident["sla"]
    # Monday 10:00 in São Paulo is 13:00 UTC; 30 min and 2 h of coverage.
    assert sla["response_due_at"] == "2026-11-16T13:30:00Z"
    assert sla["restore_due_at"] == "2026-11-16T15:00:00Z"
    assert sla["calendar"] == "9x5"
    assert sla["response"]["state"] == "running"
    assert sla["restoration"]["state"] == "running"
    assert sla["response"]["target_seconds"] == 1800
    assert incident["sid"].startswith("IN")
    assert incident["status"] == "open"
    assert incident["reporter"] == "bruno"
    assert [entry["kind"] for entry in incident["timeline"]] == ["opened"]


async def test_severity_is_proposed_from_the_impact(
    http: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    wide = await open_incident(http, agent, affected_users_pct=15)
    assert (wide["severity"], wide["proposed_severity"]) == ("alta", "alta")
    few = await open_incident(http, agent, affected_users_pct=2)
    assert few["severity"] == "media"
    chosen = await open_incident(http, agent, severity="baixa", affected_users_pct=50)
    assert (chosen["severity"], chosen["proposed_severity"]) == ("baixa", "alta")


async def test_total_outage_counts_around_the_clock(
    http: httpx.AsyncClient, agent: dict[str, str], clock: FakeClock
) -> None:
    clock.set("2026-11-21 22:00")  # Saturday night
    incident = await open_incident(http, agent, total_outage=True)
    assert incident["severity"] == "alta"
    assert incident["sla"]["calendar"] == "24x7"
    assert incident["sla"]["response_due_at"] == "2026-11-22T01:30:00Z"


async def test_imported_incident_counts_from_its_opening(
    http: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    incident = await open_incident(
        http, agent, severity="media", opened_at="2026-11-13T17:00:00-03:00"
    )
    # Friday 17:00: one hour on Friday, the second on Monday morning.
    assert incident["sla"]["response_due_at"] == "2026-11-16T13:00:00Z"
    assert incident["opened_at"] == "2026-11-13T20:00:00Z"


async def test_bad_input_gets_a_problem_not_a_500(
    http: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    wrong = await http.post(
        "/api/incidents", json={"title": "x", "severity": "urgente"}, headers=agent
    )
    assert wrong.status_code == 422
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert "severity" in wrong.json()["detail"]
    future = await http.post(
        "/api/incidents",
        json={"title": "x", "opened_at": "2030-01-01T00:00:00Z"},
        headers=agent,
    )
    assert future.status_code == 422
    assert "opened_at" in future.json()["detail"]
    naive = await http.post(
        "/api/incidents", json={"title": "x", "opened_at": "2026-11-16T09:00:00"}, headers=agent
    )
    assert naive.status_code == 422
    anonymous = await http.post("/api/incidents", json={"title": "x"})
    assert anonymous.status_code == 401
    missing = await http.get("/api/incidents/IN" + "0" * 32, headers=agent)
    assert missing.status_code == 404


async def test_pause_and_resume(
    http: httpx.AsyncClient, agent: dict[str, str], supervisor: dict[str, str], clock: FakeClock
) -> None:
    clock.set("2026-11-16 09:00")
    sid = (await open_incident(http, agent, severity="media"))["sid"]
    clock.set("2026-11-16 10:00")
    paused = await http.post(
        f"/api/incidents/{sid}/pause", json={"reason": "aguardando a operadora"}, headers=supervisor
    )
    assert paused.status_code == 200, paused.text
    sla = paused.json()["sla"]
    assert sla["paused"] and sla["pause_reason"] == "aguardando a operadora"
    assert sla["restoration"]["state"] == "paused"
    assert sla["restore_due_at"] is None
    clock.set("2026-11-16 14:00")
    resumed = await http.post(f"/api/incidents/{sid}/resume", headers=supervisor)
    # 1 h counted before the pause; 3 h left from 14:00.
    assert resumed.json()["sla"]["restore_due_at"] == "2026-11-16T20:00:00Z"
    again = await http.post(f"/api/incidents/{sid}/resume", headers=supervisor)
    assert again.status_code == 409
    no_reason = await http.post(f"/api/incidents/{sid}/pause", json={}, headers=supervisor)
    assert no_reason.status_code == 422


async def test_agents_may_report_but_not_change_state(
    http: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    sid = (await open_incident(http, agent))["sid"]
    response = await http.post(f"/api/incidents/{sid}/pause", json={"reason": "x"}, headers=agent)
    assert response.status_code == 403


async def test_late_severity_change_recomputes_the_clocks(
    http: httpx.AsyncClient, agent: dict[str, str], supervisor: dict[str, str], clock: FakeClock
) -> None:
    clock.set("2026-11-16 09:00")
    sid = (await open_incident(http, agent, severity="baixa"))["sid"]
    clock.set("2026-11-16 10:00")
    no_reason = await http.post(
        f"/api/incidents/{sid}/severity", json={"severity": "alta"}, headers=supervisor
    )
    assert no_reason.status_code == 422
    changed = await http.post(
        f"/api/incidents/{sid}/severity",
        json={"severity": "alta", "reason": "todas as filas de vendas paradas"},
        headers=supervisor,
    )
    body = changed.json()
    assert body["severity"] == "alta"
    assert body["sla"]["response"]["state"] == "breached"
    assert body["sla"]["response"]["breached_by_seconds"] == 1800
    assert body["sla"]["response_due_at"] == "2026-11-16T12:30:00Z"
    change = next(item for item in body["timeline"] if item["kind"] == "severity_changed")
    assert change["actor"] == "ana"
    assert change["data"] == {
        "severity": "alta",
        "previous": "baixa",
        "reason": "todas as filas de vendas paradas",
    }


async def test_lifecycle_and_invalid_transitions(
    http: httpx.AsyncClient, agent: dict[str, str], supervisor: dict[str, str], clock: FakeClock
) -> None:
    sid = (await open_incident(http, agent, severity="alta"))["sid"]
    early = await http.post(f"/api/incidents/{sid}/reopen", headers=supervisor)
    assert early.status_code == 409
    clock.set("2026-11-16 10:20")
    started = await http.post(f"/api/incidents/{sid}/start-response", headers=supervisor)
    assert started.json()["status"] == "in_progress"
    assert started.json()["sla"]["response"]["state"] == "met"
    clock.set("2026-11-16 12:30")
    restored = (await http.post(f"/api/incidents/{sid}/restore", headers=supervisor)).json()
    assert restored["status"] == "restored"
    assert restored["sla"]["restoration"]["state"] == "breached"
    assert restored["sla"]["restoration"]["breached_by_seconds"] == 1800
    clock.set("2026-11-17 10:00")
    reopened = (await http.post(f"/api/incidents/{sid}/reopen", headers=supervisor)).json()
    assert reopened["status"] == "in_progress"
    assert reopened["restored_at"] is None
    clock.set("2026-11-17 11:00")
    resolved = (await http.post(f"/api/incidents/{sid}/resolve", headers=supervisor)).json()
    assert resolved["status"] == "resolved"
    assert resolved["sla"]["restoration"]["elapsed_seconds"] == (2.5 + 1) * 3600
    closed = (await http.post(f"/api/incidents/{sid}/close", headers=supervisor)).json()
    assert closed["status"] == "closed"
    assert closed["closed_at"] == "2026-11-17T14:00:00Z"
    kinds = [entry["kind"] for entry in closed["timeline"] if entry["kind"] != "escalated"]
    assert kinds == ["opened", "response_started", "restored", "reopened", "resolved", "closed"]


async def test_backdated_changes_must_keep_the_order(
    http: httpx.AsyncClient, agent: dict[str, str], supervisor: dict[str, str]
) -> None:
    sid = (await open_incident(http, agent, severity="media"))["sid"]
    before_opening = await http.post(
        f"/api/incidents/{sid}/start-response",
        json={"at": "2026-11-16T09:00:00-03:00"},
        headers=supervisor,
    )
    assert before_opening.status_code == 422
    backdated = await http.post(
        f"/api/incidents/{sid}/start-response",
        json={"at": "2026-11-16T10:00:00-03:00"},
        headers=supervisor,
    )
    assert backdated.json()["response_started_at"] == "2026-11-16T13:00:00Z"


async def test_clocks_read_at_another_instant(
    http: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    sid = (await open_incident(http, agent, severity="alta"))["sid"]
    later = await http.get(
        f"/api/incidents/{sid}", params={"at": "2026-11-16T14:00:00Z"}, headers=agent
    )
    response = later.json()["sla"]["response"]
    assert response["state"] == "breached"
    assert response["breached_by_seconds"] == 1800


async def test_comments_edits_and_listing(
    http: httpx.AsyncClient, agent: dict[str, str], supervisor: dict[str, str]
) -> None:
    sid = (await open_incident(http, agent, severity="media", component="whatsapp"))["sid"]
    await open_incident(http, agent, severity="baixa", component="voice")
    commented = await http.post(
        f"/api/incidents/{sid}/comments",
        json={"text": "Operadora abriu o chamado 4411", "public": True},
        headers=agent,
    )
    assert commented.status_code == 201
    edited = await http.patch(
        f"/api/incidents/{sid}",
        json={"owner": "ana@corretora.example", "add_external_ref": "VIVO-4411"},
        headers=supervisor,
    )
    body = edited.json()
    assert body["owner"] == "ana@corretora.example"
    assert body["external_refs"] == ["VIVO-4411"]
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert kinds[-3:] == ["comment", "owner_changed", "external_ref_added"]
    listed = await http.get("/api/incidents", params={"component": "whatsapp"}, headers=agent)
    assert [item["sid"] for item in listed.json()] == [sid]
    assert listed.json()[0]["sla"]["calendar"] == "9x5"
    open_ones = await http.get("/api/incidents", params={"status": "open"}, headers=agent)
    assert len(open_ones.json()) == 2


async def test_total_outage_declared_later(
    http: httpx.AsyncClient, agent: dict[str, str], supervisor: dict[str, str], clock: FakeClock
) -> None:
    clock.set("2026-11-16 17:00")
    sid = (await open_incident(http, agent, severity="alta"))["sid"]
    clock.set("2026-11-16 17:30")
    declared = await http.post(
        f"/api/incidents/{sid}/impact", json={"total_outage": True}, headers=supervisor
    )
    sla = declared.json()["sla"]
    # 30 min in business hours, then around the clock: 1.5 h left from 17:30.
    assert sla["calendar"] == "24x7"
    assert sla["restore_due_at"] == "2026-11-16T22:00:00Z"
    same = await http.post(
        f"/api/incidents/{sid}/impact", json={"total_outage": True}, headers=supervisor
    )
    assert same.status_code == 409
    unknown = await http.post(
        f"/api/incidents/{sid}/calendar", json={"calendar": "lua"}, headers=supervisor
    )
    assert unknown.status_code == 422
