"""The monthly SLA report as files: an HTML page with its chart, CSV tables, and a PDF."""

from __future__ import annotations

import base64
import csv
import io
from datetime import timedelta

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from atende.ops.rendering import render
from atende.ops.report import (
    CLOCK_LABELS,
    ClockFigures,
    MonthlyReport,
    format_duration,
)

# Figures are built without pyplot, whose global state is not safe in a server.
MONTHS = (
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
)
SUMMARY_COLUMNS = (
    "severidade",
    "incidentes",
    "meta_atendimento_min",
    "atendimento_no_prazo",
    "atendimento_fora_do_prazo",
    "atendimento_pendente",
    "atendimento_no_prazo_pct",
    "atendimento_medio_min",
    "atendimento_mediano_min",
    "meta_restabelecimento_min",
    "restabelecimento_no_prazo",
    "restabelecimento_fora_do_prazo",
    "restabelecimento_pendente",
    "restabelecimento_no_prazo_pct",
    "restabelecimento_medio_min",
    "restabelecimento_mediano_min",
)


def month_title(report: MonthlyReport) -> str:
    return f"{MONTHS[report.month.month - 1]} de {report.month.year}"


def _minutes(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds() / 60:.1f}"


def _share(figures: ClockFigures) -> str:
    share = figures.share_within
    return "" if share is None else f"{share * 100:.1f}"


def _clock_cells(figures: ClockFigures) -> list[str]:
    return [
        _minutes(figures.target),
        str(figures.met),
        str(figures.breached),
        str(figures.pending),
        _share(figures),
        _minutes(figures.mean),
        _minutes(figures.median),
    ]


def summary_csv(report: MonthlyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SUMMARY_COLUMNS)
    for row in report.severities:
        writer.writerow(
            [
                row.severity.label,
                row.incidents,
                *_clock_cells(row.response),
                *_clock_cells(row.restoration),
            ]
        )
    return out.getvalue()


def breaches_csv(report: MonthlyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("incidente", "titulo", "severidade", "prazo", "excedido_min", "motivo"))
    for breach in report.breaches:
        writer.writerow(
            (
                breach.sid,
                breach.title,
                breach.severity.label,
                CLOCK_LABELS[breach.clock],
                _minutes(breach.breached_by),
                breach.reason,
            )
        )
    return out.getvalue()


def chart(report: MonthlyReport) -> Figure:
    """Share within target per severity for both clocks, beside mean time against target."""
    labels = [row.severity.label for row in report.severities]
    positions = range(len(labels))
    figure = Figure(figsize=(10, 4))
    shares, times = figure.subplots(1, 2)
    figure.suptitle(f"SLA de suporte — {month_title(report)}")
    for offset, name, pick in (
        (-0.2, "Início do atendimento", lambda r: r.response),
        (0.2, "Restabelecimento", lambda r: r.restoration),
    ):
        values = [(pick(row).share_within or 0) * 100 for row in report.severities]
        shares.bar([p + offset for p in positions], values, width=0.4, label=name)
        means = [_hours(pick(row).mean) for row in report.severities]
        targets = [_hours(pick(row).target) for row in report.severities]
        times.bar([p + offset for p in positions], means, width=0.4, label=f"{name} (média)")
        times.scatter(
            [p + offset for p in positions], targets, marker="_", s=400, color="black", zorder=3
        )
    shares.set_title("No prazo (%)")
    shares.set_ylim(0, 100)
    times.set_title("Tempo médio útil (h); traço = meta")
    for axis in (shares, times):
        axis.set_xticks(list(positions), labels)
        axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def _hours(value: timedelta | None) -> float:
    return 0.0 if value is None else value.total_seconds() / 3600


def chart_png(report: MonthlyReport) -> bytes:
    figure = chart(report)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def html(report: MonthlyReport) -> str:
    image = base64.b64encode(chart_png(report)).decode()
    return render(
        "sla_report.html",
        report=report,
        title=month_title(report),
        chart=image,
        clock_labels=CLOCK_LABELS,
        duration=lambda value: "—" if value is None else format_duration(value),
        share=lambda figures: (
            "—"
            if figures.share_within is None
            else f"{figures.share_within * 100:.1f}%".replace(".", ",")
        ),
    )


def pdf(report: MonthlyReport) -> bytes:
    buffer = io.BytesIO()
    with PdfPages(buffer) as document:
        document.savefig(chart(report))
        document.savefig(_table_page(report))
        info = document.infodict()
        info["Title"] = f"SLA de suporte — {month_title(report)}"
    return buffer.getvalue()


def _table_page(report: MonthlyReport) -> Figure:
    figure = Figure(figsize=(11.7, 8.3))
    figure.suptitle(f"SLA de suporte — {month_title(report)}: {report.incidents} incidentes")
    summary = figure.add_axes((0.05, 0.55, 0.9, 0.35))
    summary.axis("off")
    rows = [
        [
            row.severity.label,
            str(row.incidents),
            f"{_share(row.response) or '—'}%",
            format_duration(row.response.mean) if row.response.mean else "—",
            f"{_share(row.restoration) or '—'}%",
            format_duration(row.restoration.mean) if row.restoration.mean else "—",
        ]
        for row in report.severities
    ]
    summary.table(
        cellText=rows,
        colLabels=[
            "Severidade",
            "Incidentes",
            "Atendimento no prazo",
            "Atendimento médio",
            "Restabelecido no prazo",
            "Restabelecimento médio",
        ],
        loc="upper center",
    )
    breaches = figure.add_axes((0.05, 0.05, 0.9, 0.45))
    breaches.axis("off")
    breaches.set_title("Violações")
    if report.breaches:
        breaches.table(
            cellText=[
                [b.sid[:12] + "…", b.severity.label, CLOCK_LABELS[b.clock], b.reason[:70]]
                for b in report.breaches[:25]
            ],
            colLabels=["Incidente", "Severidade", "Prazo", "Motivo"],
            loc="upper center",
        )
    else:
        breaches.text(0.5, 0.9, "Nenhuma violação no mês.", ha="center")
    return figure
