"""The `atende` command line: serve, demo, migrate and credential creation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.models import Role
from atende.auth.service import AuthError, AuthService
from atende.config import Settings
from atende.db.migrate import upgrade
from atende.errors import TwilioError
from atende.ops.cli import report_app
from atende.runtime import Runtime
from atende.simulation.cli import simulate_app

app = typer.Typer(help="Atende: an open-source programmable contact center.", no_args_is_help=True)
account_app = typer.Typer(help="TaskRouter-compatible API accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens for the native API.", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in to the desk.", no_args_is_help=True)
app.add_typer(account_app, name="account")
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(simulate_app, name="simulate")
app.add_typer(report_app, name="report")

T = TypeVar("T")


def run_in_session(action: Callable[[AsyncSession, Runtime], Awaitable[T]]) -> T:
    """Migrate, then run one unit of work with every domain's services attached, and commit."""
    settings = replace(Settings.from_env(), run_background=False)

    async def go() -> T:
        from atende.app import create_app

        app = create_app(settings)
        runtime: Runtime = app.state.runtime
        async with app.router.lifespan_context(app), runtime.sessions() as session:
            result = await action(session, runtime)
            await session.commit()
            return result

    return asyncio.run(go())


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    settings = Settings.from_env()
    upgrade(settings.database_url)
    typer.echo("migrations applied")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Run the production server (applies migrations first)."""
    import uvicorn

    from atende import heap
    from atende.app import create_app

    server = create_app()
    heap.install()
    uvicorn.run(server, host=host, port=port, log_level="info")


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    traffic: Annotated[bool, typer.Option(help="simulated customers and agents")] = True,
) -> None:
    """Run the server with a seeded contact center and simulated calls and chats."""
    from atende.demo.command import run_demo

    run_demo(host, port, traffic=traffic)


@account_app.command("create")
def account_create(name: Annotated[str, typer.Option(help="a friendly name")]) -> None:
    """Print the SID and token that authenticate the TaskRouter-compatible API."""

    async def action(session: AsyncSession, _runtime: Runtime) -> dict[str, str]:
        created = await AuthService(session).create_account(name)
        return {"account_sid": created.account_sid, "auth_token": created.auth_token}

    typer.echo(json.dumps(run_in_session(action)))


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="who or what will use the token")],
    role: Annotated[Role, typer.Option(help="agent, supervisor or admin")],
) -> None:
    """Print a bearer token for the native API."""

    async def action(session: AsyncSession, _runtime: Runtime) -> str:
        return await AuthService(session).create_token(name, role)

    typer.echo(run_in_session(action))


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="the sign-in e-mail")],
    role: Annotated[Role, typer.Option(help="agent, supervisor or admin")],
    password: Annotated[str | None, typer.Option(help="local password (omit for SSO only)")] = None,
    workspace: Annotated[
        str | None, typer.Option(help="workspace SID (agents get a worker)")
    ] = None,
) -> None:
    """Create a login; for an agent with a workspace, also its worker."""

    async def action(session: AsyncSession, runtime: Runtime) -> dict[str, object]:
        worker_sid = None
        if role is Role.AGENT and workspace is not None:
            from atende.taskrouter.service import TaskRouterService

            attributes = {"email": email, "contact_uri": f"client:{email.split('@')[0]}"}
            worker = await TaskRouterService(session, runtime).create_worker(
                workspace, email, attributes=json.dumps(attributes)
            )
            worker_sid = worker.sid
        user = await AuthService(session).create_user(
            email, role, password=password, workspace_sid=workspace, worker_sid=worker_sid
        )
        return {"id": user.id, "email": user.email, "role": user.role, "worker_sid": worker_sid}

    try:
        typer.echo(json.dumps(run_in_session(action)))
    except (AuthError, TwilioError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def main() -> None:
    app()
