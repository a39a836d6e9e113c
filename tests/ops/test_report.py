"""The monthly SLA report: figures per severity against hand-computed values, and its files."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from atende.ops import report_render
from atende.ops.history import HistoryEvent, Opened, Paused, ResponseStarted, Restored
from atende.ops.report import IncidentOutcome, Month, build_report, format_duration
from atende.ops.severity import Severity
from atende.ops.sla import ClockName, contract_policy, sla_status

SP = ZoneInfo("America/Sao_Paulo")
POLICY = contract_policy()
NOW = datetime(2026, 11, 16, 12, tzinfo=SP)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SP)


def outcome(
    sid: str, severity: Severity, history: list[HistoryEvent], reason: str | None = None
) -> IncidentOutcome:
    sla = sla_status(history, POLICY, NOW)
    return IncidentOutcome(
        sid, f"incidente {sid}", severity, history[0].at, sla.response, sla.restoration, reason
    )


OCTOBER = [
    # ALTA: response in 20 min; restored after 3 h of coverage (1 h late).
    outcome(
        "A",
        Severity.ALTA,
        [
            Opened(at("2026-10-01 10:00"), Severity.ALTA),
            ResponseStarted(at("2026-10-01 10:20")),
            Restored(at("2026-10-01 13:00")),
        ],
        reason="fornecedor de telefonia demorou a responder",
    ),
    # ALTA: response in 10 min, restored in 1 h.
    outcome(
        "B",
        Severity.ALTA,
        [
            Opened(at("2026-10-05 09:00"), Severity.ALTA),
            ResponseStarted(at("2026-10-05 09:10")),
            Restored(at("2026-10-05 10:00")),
        ],
    ),
    # MÉDIA opened Friday 17:00, 12 Oct (Monday) is a holiday: response Tuesday 10:00 = 2 h.
    outcome(
        "C",
        Severity.MEDIA,
        [
            Opened(at("2026-10-09 17:00"), Severity.MEDIA),
            ResponseStarted(at("2026-10-13 10:00")),
            Restored(at("2026-10-13 12:00")),
        ],
    ),
    # BAIXA never answered: both clocks still counting, long past 4 h and 24 h.
    outcome("D", Severity.BAIXA, [Opened(at("2026-10-30 15:00"), Severity.BAIXA)]),
    # MÉDIA waiting on the company since 30 minutes after opening: not decided yet.
    outcome(
        "E",
        Severity.MEDIA,
        [Opened(at("2026-10-30 09:00"), Severity.MEDIA), Paused(at("2026-10-30 09:30"), "cliente")],
    ),
]
REPORT = build_report(Month(2026, 10), OCTOBER, POLICY, zone="America/Sao_Paulo", generated_at=NOW)


def test_figures_per_severity() -> None:
    alta, media, baixa = REPORT.severities
    assert (alta.incidents, media.incidents, baixa.incidents) == (2, 2, 1)
    assert (alta.response.share_within, alta.restoration.share_within) == (1.0, 0.5)
    assert alta.response.mean == timedelta(minutes=15)
    assert alta.response.median == timedelta(minutes=15)
    assert alta.restoration.mean == timedelta(hours=2)
    assert (media.response.met, media.response.pending, media.response.share_within) == (1, 1, 1.0)
    assert media.response.mean == timedelta(hours=2)
    assert media.restoration.mean == timedelta(hours=4)
    assert (baixa.response.met, baixa.response.breached, baixa.response.share_within) == (0, 1, 0.0)
    assert baixa.response.mean is None
    assert (baixa.restoration.breached, baixa.restoration.pending) == (1, 0)


def test_breaches_carry_their_reasons() -> None:
    assert [(b.sid, b.clock) for b in REPORT.breaches] == [
        ("A", ClockName.RESTORATION),
        ("D", ClockName.RESPONSE),
        ("D", ClockName.RESTORATION),
    ]
    assert REPORT.breaches[0].reason == "fornecedor de telefonia demorou a responder"
    assert REPORT.breaches[0].breached_by == timedelta(hours=1)
    assert REPORT.breaches[1].reason.startswith("início do atendimento")
    assert REPORT.breaches[1].reason.endswith("após o prazo (ainda sem conclusão)")


def test_month_parsing_and_bounds() -> None:
    start, end = Month.parse("2026-10").bounds("America/Sao_Paulo")
    assert (start.isoformat(), end.isoformat()) == (
        "2026-10-01T03:00:00+00:00",
        "2026-11-01T03:00:00+00:00",
    )
    assert Month.parse("2026-12").bounds("UTC")[1].isoformat() == "2027-01-01T00:00:00+00:00"
    for wrong in ("2026-13", "outubro", "2026-1"):
        with pytest.raises(ValueError, match="2026-10"):
            Month.parse(wrong)


def test_durations_read_as_people_say_them() -> None:
    assert format_duration(timedelta(minutes=45)) == "45 min"
    assert format_duration(timedelta(hours=1, minutes=5)) == "1 h 05 min"


def test_csv_files() -> None:
    rows = list(csv.DictReader(io.StringIO(report_render.summary_csv(REPORT))))
    assert [row["severidade"] for row in rows] == ["ALTA", "MÉDIA", "BAIXA"]
    assert rows[0]["atendimento_no_prazo_pct"] == "100.0"
    assert rows[0]["restabelecimento_no_prazo_pct"] == "50.0"
    assert rows[0]["meta_atendimento_min"] == "30.0"
    assert rows[2]["atendimento_medio_min"] == ""
    breaches = list(csv.DictReader(io.StringIO(report_render.breaches_csv(REPORT))))
    assert next((b["incidente"], b["prazo"], b["excedido_min"]) for b in breaches) == (
        "A",
        "restabelecimento",
        "60.0",
    )


def test_html_has_the_chart_and_the_tables_in_portuguese() -> None:
    page = report_render.html(REPORT)
    assert "SLA de suporte — outubro de 2026" in page
    assert 'src="data:image/png;base64,' in page
    assert "fornecedor de telefonia demorou a responder" in page
    assert "<td>MÉDIA</td>" in page


def test_pdf_has_the_chart_and_the_table_pages() -> None:
    document = report_render.pdf(REPORT)
    assert document.startswith(b"%PDF")
    assert b"/Count 2" in document
