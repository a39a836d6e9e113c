"""The contract's commands, through the real command-line app on the test database: what an
operator types to set Atende up, and that what they print works."""

from __future__ import annotations

import asyncio
import json

import httpx
from typer.testing import CliRunner

from atende.cli import app

runner = CliRunner()
PASSWORD = "Seguro-Auto-2026!"


def run(database_url: str, *arguments: str) -> str:
    result = runner.invoke(app, list(arguments), env={"ATENDE_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


async def atende(database_url: str, *arguments: str) -> str:
    """On a thread of its own: a command runs its own event loop, as from a shell."""
    return await asyncio.to_thread(run, database_url, *arguments)


async def test_an_operator_sets_atende_up_from_the_command_line(
    database_url: str, client: httpx.AsyncClient
) -> None:
    assert await atende(database_url, "migrate") == "migrations applied"

    account = json.loads(await atende(database_url, "account", "create", "--name", "Corretora"))
    workspaces = await client.get(
        "/v1/Workspaces", auth=(account["account_sid"], account["auth_token"])
    )
    assert workspaces.status_code == 200, workspaces.text
    assert (
        await client.get("/v1/Workspaces", auth=(account["account_sid"], "x"))
    ).status_code == 401

    token = await atende(database_url, "token", "create", "--name", "integração", "--role", "admin")
    channels = await client.get("/api/voice/channels", headers={"Authorization": f"Bearer {token}"})
    assert channels.status_code == 200, channels.text

    email = "supervisora@corretora.com.br"
    user = json.loads(
        await atende(
            database_url,
            "user",
            "create",
            "--email",
            email,
            "--role",
            "supervisor",
            "--password",
            PASSWORD,
        )
    )
    assert (user["email"], user["role"]) == (email, "supervisor")
    signed_in = await client.post("/login", data={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/supervisor"


def test_a_bad_role_is_refused_with_the_choices(database_url: str) -> None:
    result = runner.invoke(
        app,
        ["token", "create", "--name", "x", "--role", "gerente"],
        env={"ATENDE_DATABASE_URL": database_url},
    )
    assert result.exit_code != 0
    assert "gerente" in result.output and "supervisor" in result.output
