"""The simulation's HTML report: summary tables and charts per interval, in one file.

Charts are drawn with matplotlib's object API (no pyplot, so no global state or GUI backend)
and inlined as SVG, so the report opens anywhere, offline, and can be mailed as is.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from markupsafe import Markup
from matplotlib.figure import Figure

from atende.simulation.results import IntervalResult, SimulationResult, Tally
from atende.simulation.scenario import format_time_of_day
from atende.simulation.series import DAY

LABELS: dict[str, dict[str, str]] = {
    "pt-BR": {
        "title": "Simulação",
        "seed": "semente",
        "days": "dias",
        "agents": "agentes",
        "summary": "Resumo",
        "by_queue": "Por fila",
        "by_channel": "Por canal",
        "by_interval": "Por intervalo",
        "by_agent": "Por agente",
        "queue": "Fila",
        "channel": "Canal",
        "interval": "Intervalo",
        "agent": "Agente",
        "offered": "Recebidos",
        "handled": "Atendidos",
        "abandoned": "Abandonados",
        "canceled": "Cancelados",
        "waiting": "Ainda na fila",
        "service_level": "Nível de serviço",
        "asa": "TME (s)",
        "average_wait": "Espera média (s)",
        "longest_wait": "Maior espera (s)",
        "occupancy": "Ocupação",
        "staffed": "Agentes logados",
        "queue_length": "Fila média",
        "peak": "Pico da fila",
        "staffed_hours": "Horas logadas",
        "thresholds": "Atendido no prazo: até {thresholds}.",
        "sl_chart": "Nível de serviço por intervalo",
        "queue_chart": "Contatos aguardando por intervalo (média)",
        "load_chart": "Contatos recebidos e agentes logados",
        "total": "Total",
        "generated": "Gerado em",
    },
    "en": {
        "title": "Simulation",
        "seed": "seed",
        "days": "days",
        "agents": "agents",
        "summary": "Summary",
        "by_queue": "By queue",
        "by_channel": "By channel",
        "by_interval": "By interval",
        "by_agent": "By agent",
        "queue": "Queue",
        "channel": "Channel",
        "interval": "Interval",
        "agent": "Agent",
        "offered": "Offered",
        "handled": "Handled",
        "abandoned": "Abandoned",
        "canceled": "Canceled",
        "waiting": "Still waiting",
        "service_level": "Service level",
        "asa": "ASA (s)",
        "average_wait": "Average wait (s)",
        "longest_wait": "Longest wait (s)",
        "occupancy": "Occupancy",
        "staffed": "Agents staffed",
        "queue_length": "Average queue",
        "peak": "Queue peak",
        "staffed_hours": "Hours staffed",
        "thresholds": "Answered in time: within {thresholds}.",
        "sl_chart": "Service level per interval",
        "queue_chart": "Contacts waiting per interval (average)",
        "load_chart": "Contacts offered and agents staffed",
        "total": "Total",
        "generated": "Generated",
    },
}
LANGUAGES = tuple(LABELS)

_TEMPLATE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<title>{{ t.title }}: {{ result.scenario }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #d9e2ec; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f4f8; }
figure { margin: 1rem 0; }
.muted { color: #627d98; }
</style>
</head>
<body>
<h1>{{ t.title }}: {{ result.scenario }}</h1>
<p class="muted">{{ t.seed }} {{ result.seed }} · {{ t.days }}: {{ result.days }} ·
{{ result.agent_count }} {{ t.agents }} · {{ t.generated }} {{ generated }}</p>
<p>{{ thresholds }}</p>
<h2>{{ t.summary }}</h2>
{{ tally_table("", [(t.total, result.total)]) }}
{% for chart in charts %}<figure>{{ chart }}</figure>{% endfor %}
<h2>{{ t.by_queue }}</h2>
{{ tally_table(t.queue, result.by_queue.items()) }}
<h2>{{ t.by_channel }}</h2>
{{ tally_table(t.channel, result.by_channel.items()) }}
<h2>{{ t.by_interval }}</h2>
<table>
<thead><tr><th>{{ t.interval }}</th><th>{{ t.offered }}</th><th>{{ t.handled }}</th>
<th>{{ t.abandoned }}</th><th>{{ t.service_level }}</th><th>{{ t.asa }}</th>
<th>{{ t.queue_length }}</th><th>{{ t.peak }}</th><th>{{ t.staffed }}</th>
<th>{{ t.occupancy }}</th></tr></thead>
<tbody>
{% for label, row in intervals %}<tr><td>{{ label }}</td><td>{{ row.tally.offered }}</td>
<td>{{ row.tally.handled }}</td><td>{{ row.tally.abandoned }}</td>
<td>{{ share(row.tally.service_level) }}</td>
<td>{{ seconds(row.tally.average_speed_of_answer) }}</td>
<td>{{ row.average_waiting|decimal }}</td><td>{{ row.peak_waiting }}</td>
<td>{{ row.agents_staffed|decimal }}</td><td>{{ share(row.occupancy) }}</td></tr>
{% endfor %}</tbody>
</table>
<h2>{{ t.by_agent }}</h2>
<table>
<thead><tr><th>{{ t.agent }}</th><th>{{ t.handled }}</th><th>{{ t.staffed_hours }}</th>
<th>{{ t.occupancy }}</th></tr></thead>
<tbody>
{% for agent in result.agents %}<tr><td>{{ agent.name }}</td><td>{{ agent.handled }}</td>
<td>{{ (agent.staffed_seconds / 3600)|decimal }}</td><td>{{ share(agent.occupancy) }}</td></tr>
{% endfor %}</tbody>
</table>
</body>
</html>
"""

_TALLY_TABLE = """<table>
<thead><tr><th>{{ heading }}</th><th>{{ t.offered }}</th><th>{{ t.handled }}</th>
<th>{{ t.abandoned }}</th><th>{{ t.canceled }}</th><th>{{ t.waiting }}</th>
<th>{{ t.service_level }}</th><th>{{ t.asa }}</th><th>{{ t.average_wait }}</th>
<th>{{ t.longest_wait }}</th></tr></thead>
<tbody>
{% for name, tally in rows %}<tr><td>{{ name }}</td><td>{{ tally.offered }}</td>
<td>{{ tally.handled }}</td><td>{{ tally.abandoned }}</td><td>{{ tally.canceled }}</td>
<td>{{ tally.waiting }}</td><td>{{ share(tally.service_level) }}</td>
<td>{{ seconds(tally.average_speed_of_answer) }}</td><td>{{ seconds(tally.average_wait) }}</td>
<td>{{ seconds(tally.longest_wait) }}</td></tr>
{% endfor %}</tbody>
</table>"""


def share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _decimal_comma(text: str) -> str:
    return text.replace(".", ",")


def interval_label(start: float, days: int) -> str:
    day, offset = divmod(start, DAY)
    clock = format_time_of_day(offset)
    return f"D{int(day) + 1} {clock}" if days > 1 else clock


def render_report(
    result: SimulationResult, *, lang: str = "pt-BR", timezone: str = "America/Sao_Paulo"
) -> str:
    """The whole report as one self-contained HTML document, numbers written the way the
    language writes them (decimal comma in pt-BR) and the time of writing in ``timezone``."""
    labels = LABELS[lang]
    environment = Environment(autoescape=True)
    if lang == "pt-BR":
        environment.globals.update(
            share=lambda value: _decimal_comma(share(value)),
            seconds=lambda value: _decimal_comma(seconds(value)),
        )
        environment.filters["decimal"] = lambda value: _decimal_comma(f"{value:.1f}")
    else:
        environment.globals.update(share=share, seconds=seconds)
        environment.filters["decimal"] = lambda value: f"{value:.1f}"
    environment.globals["t"] = labels
    tally_template = environment.from_string(_TALLY_TABLE)

    def tally_table(heading: str, rows: Sequence[tuple[str, Tally]] | Any) -> Markup:
        return Markup(tally_template.render(heading=heading, rows=list(rows)))

    labelled = [(interval_label(row.start, result.days), row) for row in result.intervals]
    thresholds = ", ".join(
        f"{channel} {limit:g} s" for channel, limit in sorted(result.thresholds.items())
    )
    return environment.from_string(_TEMPLATE).render(
        lang=lang,
        result=result,
        generated=datetime.now(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z"),
        thresholds=labels["thresholds"].format(
            thresholds=_decimal_comma(thresholds) if lang == "pt-BR" else thresholds
        ),
        tally_table=tally_table,
        intervals=labelled,
        charts=[Markup(svg) for svg in charts(result.intervals, result.days, labels)],
    )


def charts(intervals: list[IntervalResult], days: int, labels: dict[str, str]) -> list[str]:
    """Service level, queue length per queue, and offered contacts against agents staffed."""
    names = [interval_label(row.start, days) for row in intervals]
    positions = list(range(len(intervals)))
    service = [
        None if row.tally.service_level is None else 100 * row.tally.service_level
        for row in intervals
    ]
    level = _figure(labels["sl_chart"])
    axes = level.axes[0]
    axes.plot(
        positions, [float("nan") if v is None else v for v in service], marker="o", color="#2f80ed"
    )
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    _x_axis(axes, names)

    queues = _figure(labels["queue_chart"])
    axes = queues.axes[0]
    queue_names = sorted({name for row in intervals for name in row.waiting_by_queue})
    for name in queue_names:
        axes.plot(positions, [row.waiting_by_queue.get(name, 0.0) for row in intervals], label=name)
    if queue_names:
        axes.legend(fontsize="small", ncols=2)
    _x_axis(axes, names)

    load = _figure(labels["load_chart"])
    axes = load.axes[0]
    axes.bar(positions, [row.tally.offered for row in intervals], color="#9fb3c8")
    axes.set_ylabel(labels["offered"])
    staffed = axes.twinx()
    staffed.plot(positions, [row.agents_staffed for row in intervals], color="#d64545")
    staffed.set_ylabel(labels["staffed"])
    _x_axis(axes, names)
    return [_svg(figure) for figure in (level, queues, load)]


def _figure(title: str) -> Figure:
    figure = Figure(figsize=(10, 3.2), layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    return figure


def _x_axis(axes: Any, names: list[str]) -> None:
    step = max(1, len(names) // 24)
    axes.set_xticks(list(range(0, len(names), step)))
    axes.set_xticklabels(names[::step], rotation=60, fontsize="small")


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg") :]
