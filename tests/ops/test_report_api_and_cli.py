"""The monthly report through the desk's API and through `atende report sla`."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from atende.config import Settings
from atende.ops.cli import report_app


async def import_october(http: httpx.AsyncClient, supervisor: dict[str, str]) -> None:
    created = await http.post(
        "/api/incidents",
        json={"title": "URA muda", "severity": "alta", "opened_at": "2026-10-01T10:00:00-03:00"},
        headers=supervisor,
    )
    sid = created.json()["sid"]
    for action, when in (("start-response", "10:20"), ("restore", "13:00")):
        response = await http.post(
            f"/api/incidents/{sid}/{action}",
            json={"at": f"2026-10-01T{when}:00-03:00"},
            headers=supervisor,
        )
        assert response.status_code == 200, response.text
    await http.patch(
        f"/api/incidents/{sid}", json={"breach_reason": "operadora fora do ar"}, headers=supervisor
    )
    # September and November incidents stay out of October's report.
    for opened in ("2026-09-30T20:00:00-03:00", "2026-11-01T00:30:00-03:00"):
        await http.post(
            "/api/incidents", json={"title": "fora", "opened_at": opened}, headers=supervisor
        )


async def test_report_api_in_every_format(
    http: httpx.AsyncClient, supervisor: dict[str, str], agent: dict[str, str]
) -> None:
    await import_october(http, supervisor)
    body = (await http.get("/api/reports/sla?month=2026-10", headers=supervisor)).json()
    assert body["incidents"] == 1
    alta = body["severities"][0]
    assert (alta["label"], alta["response"]["share_within"]) == ("ALTA", 1.0)
    assert alta["restoration"]["share_within"] == 0.0
    assert body["breaches"] == [
        {
            "sid": body["breaches"][0]["sid"],
            "title": "URA muda",
            "severity": "alta",
            "clock": "restoration",
            "breached_by_seconds": 3600.0,
            "reason": "operadora fora do ar",
        }
    ]
    page = await http.get("/api/reports/sla?month=2026-10&format=html", headers=supervisor)
    assert page.headers["content-type"].startswith("text/html")
    assert "outubro de 2026" in page.text
    table = await http.get("/api/reports/sla?month=2026-10&format=csv", headers=supervisor)
    assert next(iter(csv.DictReader(io.StringIO(table.text))))["incidentes"] == "1"
    document = await http.get("/api/reports/sla?month=2026-10&format=pdf", headers=supervisor)
    assert document.content.startswith(b"%PDF")
    assert (await http.get("/api/reports/sla?month=13-2026", headers=supervisor)).status_code == 422
    assert (await http.get("/api/reports/sla?month=2026-10", headers=agent)).status_code == 403


async def run_cli(*args: str) -> Result:
    """The command runs its own event loop, so it runs in a thread as it would in a shell."""
    return await asyncio.to_thread(CliRunner().invoke, report_app, list(args))


async def test_cli_writes_html_csv_and_pdf(
    http: httpx.AsyncClient,
    supervisor: dict[str, str],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await import_october(http, supervisor)
    monkeypatch.setenv("ATENDE_DATABASE_URL", settings.database_url)
    out = tmp_path / "relatorios"
    result = await run_cli("sla", "--month", "2026-10", "--out", str(out))
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in out.iterdir())
    assert names == [
        "sla-2026-10-violacoes.csv",
        "sla-2026-10.csv",
        "sla-2026-10.html",
        "sla-2026-10.pdf",
    ]
    assert "operadora fora do ar" in (out / "sla-2026-10-violacoes.csv").read_text()
    only_csv = await run_cli(
        "sla", "--month", "2026-10", "--out", str(tmp_path / "b"), "--format", "csv"
    )
    assert only_csv.exit_code == 0
    assert len(list((tmp_path / "b").iterdir())) == 2
    wrong = await run_cli("sla", "--month", "outubro")
    assert wrong.exit_code == 2
    assert "2026-10" in wrong.output
