"""`atende simulate`: run a scenario through the routing engine, or size a queue with Erlang."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from atende.config import Settings
from atende.simulation.builtin import demo_scenario, large_scenario
from atende.simulation.distributions import ScenarioError
from atende.simulation.erlang import (
    QueueForecast,
    StaffingTarget,
    agents_for_concurrency,
    erlang_a_agents,
    erlang_c_agents,
    offered_load,
    scheduled_agents,
)
from atende.simulation.report import LANGUAGES, render_report, seconds, share
from atende.simulation.results import SimulationResult, Tally
from atende.simulation.scenario import Scenario, format_time_of_day, load_scenario
from atende.simulation.simulator import Simulation

simulate_app = typer.Typer(
    help="Simulate days of the contact center and size its staff.", no_args_is_help=True
)


def _scenario(path: Path | None, demo: bool, agents: int | None) -> Scenario:
    if (path is None) == (not demo):
        raise typer.BadParameter("give either --scenario FILE or --demo")
    try:
        scenario = demo_scenario() if path is None else load_scenario(path)
    except (OSError, ScenarioError) as error:
        raise typer.BadParameter(str(error), param_hint="--scenario") from None
    if agents is not None:
        try:
            scenario = scenario.with_agent_count(agents)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--agents") from None
    return scenario


@simulate_app.command("run")
def run(
    scenario_file: Annotated[
        Path | None, typer.Option("--scenario", help="scenario JSON file", dir_okay=False)
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="the demo company's day")] = False,
    days: Annotated[int, typer.Option(min=1, help="simulated days")] = 1,
    seed: Annotated[int, typer.Option(help="random seed: same seed, same run")] = 7,
    agents: Annotated[
        int | None, typer.Option(min=0, help="resize the team to this many agents")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write an HTML report here")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the figures as JSON here")
    ] = None,
    lang: Annotated[str, typer.Option(help=f"report language: {', '.join(LANGUAGES)}")] = "pt-BR",
) -> None:
    """Simulate the scenario through the routing engine and report per queue."""
    if lang not in LANGUAGES:
        raise typer.BadParameter(f"choose one of {', '.join(LANGUAGES)}", param_hint="--lang")
    scenario = _scenario(scenario_file, demo, agents)
    console = Console()
    simulation = Simulation(scenario, seed=seed, days=days)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(f"{scenario.name}: {days} day(s)", total=1.0)
        result = simulation.run(lambda done: progress.update(task, completed=done))
    console.print(_result_table(result))
    if out is not None:
        timezone = Settings.from_env().timezone
        out.write_text(render_report(result, lang=lang, timezone=timezone), encoding="utf-8")
        console.print(f"report written to {out}")
    if json_out is not None:
        json_out.write_text(json.dumps(_result_data(result), indent=2), encoding="utf-8")
        console.print(f"figures written to {json_out}")


def _result_table(result: SimulationResult) -> Table:
    """Per queue and in total; the canceled and still-waiting columns only when not empty."""
    table = Table(
        title=f"{result.scenario} · seed {result.seed} · {result.days} day(s) · "
        f"{result.agent_count} agents · occupancy {share(result.occupancy)}",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
    )
    total = result.total
    columns: list[tuple[str, Callable[[Tally], str]]] = [
        ("offered", lambda tally: str(tally.offered)),
        ("handled", lambda tally: str(tally.handled)),
        ("abandoned", lambda tally: str(tally.abandoned)),
    ]
    if total.canceled:
        columns.append(("canceled", lambda tally: str(tally.canceled)))
    if total.waiting:
        columns.append(("waiting", lambda tally: str(tally.waiting)))
    columns += [
        ("SL", lambda tally: share(tally.service_level)),
        ("ASA s", lambda tally: seconds(tally.average_speed_of_answer)),
        ("wait s", lambda tally: seconds(tally.average_wait)),
        ("max s", lambda tally: f"{tally.longest_wait:.0f}"),
    ]
    table.add_column("queue", overflow="fold")
    for heading, _ in columns:
        table.add_column(heading, justify="right", no_wrap=True)
    rows = [*result.by_queue.items(), ("total", total)]
    for index, (name, tally) in enumerate(rows):
        table.add_row(
            name, *(cell(tally) for _, cell in columns), end_section=index == len(rows) - 2
        )
    return table


def _tally_data(tally: Tally) -> dict[str, object]:
    return {
        "offered": tally.offered,
        "handled": tally.handled,
        "abandoned": tally.abandoned,
        "canceled": tally.canceled,
        "waiting": tally.waiting,
        "service_level": tally.service_level,
        "average_speed_of_answer": tally.average_speed_of_answer,
        "average_wait": tally.average_wait,
        "longest_wait": tally.longest_wait,
    }


def _result_data(result: SimulationResult) -> dict[str, object]:
    return {
        "scenario": result.scenario,
        "seed": result.seed,
        "days": result.days,
        "agents": result.agent_count,
        "occupancy": result.occupancy,
        "total": _tally_data(result.total),
        "by_queue": {name: _tally_data(tally) for name, tally in result.by_queue.items()},
        "by_channel": {name: _tally_data(tally) for name, tally in result.by_channel.items()},
        "intervals": [
            {
                "start": row.start,
                **_tally_data(row.tally),
                "average_waiting": row.average_waiting,
                "peak_waiting": row.peak_waiting,
                "agents_staffed": row.agents_staffed,
                "occupancy": row.occupancy,
            }
            for row in result.intervals
        ],
        "agents_detail": [
            {
                "name": agent.name,
                "handled": agent.handled,
                "staffed_seconds": agent.staffed_seconds,
                "occupancy": agent.occupancy,
            }
            for agent in result.agents
        ],
    }


@simulate_app.command("scenario")
def export_scenario(
    out: Annotated[Path | None, typer.Option(help="write here instead of printing")] = None,
    large: Annotated[
        bool, typer.Option("--large", help="the synthetic 10-queue, 100-agent center")
    ] = False,
) -> None:
    """Print a built-in scenario as JSON: a starting point for your own."""
    scenario = large_scenario() if large else demo_scenario()
    text = json.dumps(scenario.to_data(), indent=2, ensure_ascii=False)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"scenario written to {out}")


def _volumes(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            "a number, or numbers separated by commas", param_hint="--calls-per-hour"
        ) from None
    if not values or any(value < 0 for value in values):
        raise typer.BadParameter("give non-negative numbers", param_hint="--calls-per-hour")
    return values


@simulate_app.command("staffing")
def staffing(
    calls_per_hour: Annotated[
        str,
        typer.Option(help="arrival rate; several, comma-separated, for consecutive intervals"),
    ],
    aht: Annotated[float, typer.Option(min=1, help="average handle time, seconds")],
    target: Annotated[float, typer.Option(help="share to answer in time, e.g. 0.8")] = 0.8,
    answer_within: Annotated[float, typer.Option(min=0, help="seconds, e.g. 20")] = 20.0,
    patience: Annotated[
        float | None, typer.Option(min=1, help="mean patience, seconds (adds Erlang A)")
    ] = None,
    shrinkage: Annotated[
        float, typer.Option(min=0, max=0.99, help="share of paid time off the phones")
    ] = 0.0,
    concurrency: Annotated[int, typer.Option(min=1, help="contacts an agent holds at once")] = 1,
    max_occupancy: Annotated[float, typer.Option(min=0.01, max=1)] = 1.0,
    max_abandonment: Annotated[
        float, typer.Option(min=0.001, max=1, help="Erlang A: ceiling on the share who hang up")
    ] = 0.05,
    interval_minutes: Annotated[int, typer.Option(min=1)] = 30,
    start: Annotated[str, typer.Option(help="first interval's time of day")] = "08:00",
) -> None:
    """Agents needed per interval by Erlang C (and Erlang A with --patience)."""
    if not 0 < target < 1:
        raise typer.BadParameter("between 0 and 1", param_hint="--target")
    hours, _, minutes = start.partition(":")
    if not (hours.isdigit() and minutes.isdigit()):
        raise typer.BadParameter('a time of day like "08:00"', param_hint="--start")
    first = int(hours) * 3600 + int(minutes) * 60
    goal = StaffingTarget(target, answer_within, max_occupancy, max_abandonment)
    table = Table(
        title=f"{target:.0%} in {answer_within:g} s · AHT {aht:g} s · shrinkage {shrinkage:.0%}"
        + (f" · {concurrency} at once (approximation)" if concurrency > 1 else ""),
        caption="C: agents by Erlang C, callers never hang up; A: by Erlang A, mean patience "
        f"{patience:g} s; ASA in seconds; sch: agents to schedule after shrinkage"
        if patience is not None
        else "C: agents by Erlang C; ASA in seconds; sch: agents to schedule after shrinkage",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
    )
    columns = ["start", "calls/h", "erl", "C", "SL", "ASA", "occ", "sch"]
    if patience is not None:
        columns += ["A", "SL", "aband", "sch"]
    for column in columns:
        table.add_column(column, justify="left" if column == "start" else "right", no_wrap=True)
    scheduled_hours = {"C": 0.0, "A": 0.0}
    for index, rate in enumerate(_volumes(calls_per_hour)):
        begin = (first + index * interval_minutes * 60) % 86_400
        classic = erlang_c_agents(rate, aht, goal)
        classic_people = agents_for_concurrency(classic.agents, concurrency)
        classic_scheduled = scheduled_agents(classic_people, shrinkage)
        scheduled_hours["C"] += classic_scheduled * interval_minutes / 60
        row = [
            format_time_of_day(begin),
            f"{rate:g}",
            f"{offered_load(rate, aht):.2f}",
            str(classic_people),
            share(classic.service_level),
            seconds(classic.average_speed_of_answer),
            share(classic.occupancy),
            str(classic_scheduled),
        ]
        if patience is not None:
            impatient: QueueForecast = erlang_a_agents(rate, aht, patience, goal)
            people = agents_for_concurrency(impatient.agents, concurrency)
            planned = scheduled_agents(people, shrinkage)
            scheduled_hours["A"] += planned * interval_minutes / 60
            row += [
                str(people),
                share(impatient.service_level),
                share(impatient.probability_of_abandonment),
                str(planned),
            ]
        table.add_row(*row)
    console = Console()
    console.print(table)
    summary = f"scheduled agent-hours: Erlang C {scheduled_hours['C']:.1f}"
    if patience is not None:
        summary += f", Erlang A {scheduled_hours['A']:.1f}"
    console.print(summary)
