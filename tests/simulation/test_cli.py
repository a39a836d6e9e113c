"""`atende simulate` through the real command line app."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from atende.cli import app
from atende.simulation.builtin import demo_scenario

runner = CliRunner()


def test_run_the_demo_and_write_the_reports(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    figures = tmp_path / "figures.json"
    result = runner.invoke(
        app,
        [
            "simulate",
            "run",
            "--demo",
            "--seed",
            "3",
            "--agents",
            "12",
            "--out",
            str(report),
            "--json",
            str(figures),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Relacionamento" in result.output
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert "Nível de serviço por intervalo" in html
    assert html.count("<svg") == 3
    assert "Vendas Auto" in html
    assert re.search(r"<td>\d+,\d%</td>", html)  # pt-BR writes a decimal comma
    data = json.loads(figures.read_text(encoding="utf-8"))
    assert data["agents"] == 12
    assert data["seed"] == 3
    total = data["total"]
    assert (
        total["offered"]
        == total["handled"] + total["abandoned"] + total["canceled"] + total["waiting"]
    )
    assert len(data["intervals"]) == 24


def test_run_a_scenario_file_in_english_over_two_days(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    exported = runner.invoke(app, ["simulate", "scenario", "--out", str(scenario)])
    assert exported.exit_code == 0, exported.output
    report = tmp_path / "report.html"
    result = runner.invoke(
        app,
        [
            "simulate",
            "run",
            "--scenario",
            str(scenario),
            "--days",
            "2",
            "--out",
            str(report),
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert "Service level per interval" in html
    assert "D2 19:30" in html
    assert re.search(r"<td>\d+\.\d%</td>", html)


def test_a_broken_scenario_is_a_clear_error(tmp_path: Path) -> None:
    data = demo_scenario().to_data()
    data["demand"][0]["channel"] = "fax"
    scenario = tmp_path / "broken.json"
    scenario.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["simulate", "run", "--scenario", str(scenario)])
    assert result.exit_code == 2
    assert "demand[0].channel" in result.output


def test_run_needs_a_scenario() -> None:
    result = runner.invoke(app, ["simulate", "run"])
    assert result.exit_code == 2
    assert "--demo" in result.output


def test_staffing_per_interval() -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "staffing",
            "--calls-per-hour",
            "200,400",
            "--aht",
            "180",
            "--target",
            "0.8",
            "--answer-within",
            "20",
            "--patience",
            "60",
            "--shrinkage",
            "0.3",
        ],
        env={"COLUMNS": "120"},
    )
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    first = next(line for line in lines if line and line[0] == "08:00")
    # 200 calls/h of 180 s is 10 erlangs: 14 agents by Erlang C, 20 on the schedule.
    assert first[1:5] == ["200", "10.00", "14", "88.8%"]
    assert first[7] == "20"
    assert any(line and line[0] == "08:30" for line in lines)
    assert "Erlang A" in result.output


def test_staffing_rejects_bad_rates() -> None:
    result = runner.invoke(
        app, ["simulate", "staffing", "--calls-per-hour", "lots", "--aht", "180"]
    )
    assert result.exit_code == 2
    assert "--calls-per-hour" in result.output
