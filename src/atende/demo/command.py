"""`atende demo`: seed a contact center, start simulated traffic, serve, and say where to look."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from atende.app import create_app
from atende.config import Settings
from atende.demo import company
from atende.demo.seed import DemoSetup, seed
from atende.demo.traffic import DemoTraffic

VAR = Path("var")


def demo_settings() -> Settings:
    """The demo keeps its own SQLite file unless a database is configured explicitly."""
    settings = Settings.from_env()
    if not os.environ.get("ATENDE_DATABASE_URL"):
        settings = replace(settings, database_url=f"sqlite:///{(VAR / 'demo.db').absolute()}")
    return settings


async def prepare(settings: Settings, saved: Path) -> DemoSetup:
    """Migrate and seed with background jobs off, so nothing runs before the seed is in place."""
    app = create_app(replace(settings, run_background=False))
    async with app.router.lifespan_context(app):
        return await seed(app.state.runtime, saved)


def banner(setup: DemoSetup, base: str) -> Table:
    table = Table(title="Atende demo", show_header=True, title_justify="left", min_width=90)
    table.add_column("onde")
    table.add_column("quem")
    agent = next(agent for agent in company.AGENTS if not agent.simulated)
    rows = [
        (f"{base}/agent", agent.email),
        (f"{base}/supervisor", f"supervisora@{company.DEMO_DOMAIN}"),
        (f"{base}/admin", f"admin@{company.DEMO_DOMAIN}"),
        (f"{base}/status", "público"),
        (f"{base}/api/docs", "desenvolvedores"),
        (f"{base}/v1/Workspaces", "API TaskRouter: conta abaixo"),
    ]
    for where, who in rows:
        table.add_row(where, who)
    table.caption = f"senha das contas de demonstração: {company.DEMO_PASSWORD}"
    return table


def run_demo(host: str, port: int, *, traffic: bool = True) -> None:
    import uvicorn

    from atende import heap

    settings = demo_settings()
    base = f"http://{host}:{port}"
    if not os.environ.get("ATENDE_PUBLIC_URL"):
        settings = replace(settings, public_url=base)
    setup = asyncio.run(prepare(settings, VAR / "demo.json"))
    settings = replace(
        settings, default_workflow_sid=settings.default_workflow_sid or setup.workflow_sid
    )
    app = create_app(settings)
    if traffic:
        DemoTraffic(app.state.runtime, setup).install(app.state.runtime)
    console = Console()
    console.print(banner(setup, base))
    console.print(f"API TaskRouter (HTTP Basic): {setup.account_sid} : {setup.auth_token}")
    heap.install()
    uvicorn.run(app, host=host, port=port, log_level="warning")
