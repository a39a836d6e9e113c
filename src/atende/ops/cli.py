"""`atende report sla --month 2026-10`: the monthly SLA report as HTML, CSV and PDF files."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from atende.config import Settings
from atende.db.engine import create_engine, session_factory
from atende.db.migrate import upgrade
from atende.ops import report_render
from atende.ops.context import OpsContext
from atende.ops.report import Month, MonthlyReport
from atende.ops.report_service import ReportService
from atende.ops.settings import OpsSettings

report_app = typer.Typer(help="Reports.", no_args_is_help=True)
FORMATS = ("html", "csv", "pdf")


@report_app.callback()
def reports() -> None:
    """Reports (a group, so that other reports can join `sla`)."""


def write_report(report: MonthlyReport, directory: Path, formats: list[str]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"sla-{report.month}"
    written = []
    if "html" in formats:
        written.append(stem.with_suffix(".html"))
        written[-1].write_text(report_render.html(report), encoding="utf-8")
    if "csv" in formats:
        written.append(stem.with_suffix(".csv"))
        written[-1].write_text(report_render.summary_csv(report), encoding="utf-8")
        written.append(directory / f"sla-{report.month}-violacoes.csv")
        written[-1].write_text(report_render.breaches_csv(report), encoding="utf-8")
    if "pdf" in formats:
        written.append(stem.with_suffix(".pdf"))
        written[-1].write_bytes(report_render.pdf(report))
    return written


async def load_report(settings: Settings, month: Month) -> MonthlyReport:
    engine = create_engine(settings.database_url)
    context = OpsContext(
        OpsSettings.from_env(timezone=settings.timezone), public_url=settings.public_url
    )
    try:
        async with session_factory(engine)() as session:
            return await ReportService(session, context).monthly(month)
    finally:
        await engine.dispose()


@report_app.command("sla")
def sla_report(
    month: Annotated[str, typer.Option(help="the month, e.g. 2026-10")],
    out: Annotated[Path, typer.Option(help="directory to write the files to")] = Path("."),
    fmt: Annotated[
        list[str] | None, typer.Option("--format", help="html, csv or pdf (repeatable)")
    ] = None,
) -> None:
    """Monthly support SLA: realized against target per severity, breaches, a chart."""
    formats = fmt or list(FORMATS)
    unknown = set(formats) - set(FORMATS)
    try:
        if unknown:
            raise ValueError(f"unknown format(s): {', '.join(sorted(unknown))}")
        chosen = Month.parse(month)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    settings = Settings.from_env()
    upgrade(settings.database_url)
    report = asyncio.run(load_report(settings, chosen))
    for path in write_report(report, out, formats):
        typer.echo(str(path))
