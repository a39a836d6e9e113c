"""The operations screens as a server renders them: who may see which, and the clocks shown in
São Paulo time with business time elapsed and remaining."""

from __future__ import annotations

from datetime import timedelta

import httpx

from atende.ops.desk_pages import duration
from tests.ops.conftest import FakeClock


async def open_incident(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    created = await http.post(
        "/api/incidents",
        json={"title": "URA muda", "severity": "alta", "component": "voice"},
        headers=headers,
    )
    sid: str = created.json()["sid"]
    return sid


async def test_signed_out_people_are_sent_to_sign_in(http: httpx.AsyncClient) -> None:
    page = await http.get("/ops")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fops"


async def test_agents_are_refused_and_supervisors_read(
    http: httpx.AsyncClient, agent: dict[str, str], supervisor: dict[str, str]
) -> None:
    assert (await http.get("/ops", headers=agent)).status_code == 403
    await open_incident(http, supervisor)
    listing = await http.get("/ops", headers=supervisor)
    assert listing.status_code == 200
    assert "URA muda" in listing.text
    assert (await http.get("/ops/escalation", headers=supervisor)).status_code == 200
    assert (await http.get("/ops/access", headers=supervisor)).status_code == 403
    assert (await http.get("/ops/incidents/new", headers=supervisor)).status_code == 403


async def test_only_admins_get_the_action_buttons(
    http: httpx.AsyncClient, supervisor: dict[str, str], admin: dict[str, str]
) -> None:
    sid = await open_incident(http, supervisor)
    read_only = await http.get(f"/ops/incidents/{sid}", headers=supervisor)
    assert "URA muda" in read_only.text
    assert "Pausar relógios" not in read_only.text and "Iniciar atendimento" not in read_only.text
    acting = await http.get(f"/ops/incidents/{sid}", headers=admin)
    assert "Pausar relógios" in acting.text and "Iniciar atendimento" in acting.text


async def test_the_severity_filter_and_closed_incidents(
    http: httpx.AsyncClient, supervisor: dict[str, str]
) -> None:
    sid = await open_incident(http, supervisor)
    assert "URA muda" not in (await http.get("/ops?severity=baixa", headers=supervisor)).text
    await http.post(f"/api/incidents/{sid}/close", headers=supervisor)
    assert "URA muda" not in (await http.get("/ops", headers=supervisor)).text
    assert "URA muda" in (await http.get("/ops?show=all", headers=supervisor)).text


async def test_the_incident_page_shows_due_times_and_business_time_in_sao_paulo(
    http: httpx.AsyncClient, supervisor: dict[str, str], clock: FakeClock
) -> None:
    sid = await open_incident(http, supervisor)  # Monday 10:00 in São Paulo
    clock.set("2026-11-16 10:12")
    page = await http.get(f"/ops/incidents/{sid}", headers=supervisor)
    assert page.status_code == 200
    text = page.text
    assert "16/11/2026 10:30" in text  # response: 30 min
    assert "16/11/2026 12:00" in text  # restoration: 2 h
    assert "12 min" in text and "18 min" in text and "1 h 48 min" in text


async def test_the_proposed_severity_follows_the_impact(
    http: httpx.AsyncClient, supervisor: dict[str, str]
) -> None:
    outage = await http.get("/ops/severity-proposal?total_outage=true", headers=supervisor)
    assert outage.json() == {"severity": "alta", "reason": "parada total do sistema"}
    few = await http.get("/ops/severity-proposal?affected_users_pct=5", headers=supervisor)
    assert few.json()["severity"] == "media"


def test_durations_read_as_hours_and_minutes() -> None:
    assert duration(timedelta(minutes=7)) == "7 min"
    assert duration(timedelta(hours=1, minutes=5)) == "1 h 05 min"
    assert duration(timedelta(hours=26)) == "26 h 00 min"
