"""A recording stand-in for the TaskRouter service, for tests about conversation rules that
do not need the routing engine itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.models import Role
from atende.auth.service import AuthService
from atende.sids import new_sid

WORKSPACE = "WS" + "0" * 32
WORKFLOW = "WW" + "0" * 32


@dataclass
class CreatedTask:
    sid: str
    workspace_sid: str
    workflow_sid: str
    attributes: dict[str, Any]
    task_channel: str


@dataclass
class RecordingGateway:
    tasks: list[CreatedTask] = field(default_factory=list)
    finished: list[tuple[str, str]] = field(default_factory=list)
    accepted: dict[str, str] = field(default_factory=dict)

    async def workspace_of(self, session: AsyncSession, workflow_sid: str) -> str | None:
        return WORKSPACE if workflow_sid == WORKFLOW else None

    async def only_workflow(self, session: AsyncSession) -> str | None:
        return WORKFLOW

    async def create_task(
        self,
        session: AsyncSession,
        *,
        workspace_sid: str,
        workflow_sid: str,
        attributes: dict[str, Any],
        task_channel: str,
        priority: int | None = None,
        timeout: int | None = None,
    ) -> str:
        task = CreatedTask(new_sid("WT"), workspace_sid, workflow_sid, attributes, task_channel)
        self.tasks.append(task)
        return task.sid

    def defer_writes(self, session: AsyncSession) -> None:
        return

    async def write_deferred(self, session: AsyncSession) -> None:
        return

    async def finish_task(
        self, session: AsyncSession, workspace_sid: str, task_sid: str, reason: str
    ) -> None:
        self.finished.append((task_sid, reason))

    async def accepted_worker(self, session: AsyncSession, task_sid: str) -> str | None:
        return self.accepted.get(task_sid)


async def agent_headers(app: FastAPI, worker_sid: str, role: Role = Role.AGENT) -> dict[str, str]:
    """A signed-in agent (or supervisor) bound to a worker."""
    async with app.state.runtime.sessions() as session:
        auth = AuthService(session)
        user = await auth.create_user(
            f"{worker_sid.lower()}@example.com", role, worker_sid=worker_sid
        )
        token = await auth.create_token(f"token-{worker_sid}", role, user_id=user.id)
        await session.commit()
    return {"Authorization": f"Bearer {token}"}
