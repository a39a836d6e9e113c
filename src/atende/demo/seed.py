"""Creating the demo's contact center through the same services the API uses.

Idempotent: a second `atende demo` on the same database finds the workspace and reuses it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.models import Role
from atende.auth.secrets import hash_password
from atende.auth.service import AuthService
from atende.demo import company
from atende.runtime import Runtime
from atende.taskrouter import models as tr
from atende.taskrouter.configuration_service import WorkspaceChanges
from atende.taskrouter.service import TaskRouterService


@dataclass(frozen=True)
class DemoSetup:
    """What the demo prints and what the simulated traffic needs."""

    account_sid: str
    auth_token: str
    workspace_sid: str
    workflow_sid: str
    simulated_workers: dict[str, str]  # worker SID -> name
    available_activity_sid: str
    break_activity_sid: str

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> DemoSetup | None:
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text()))


async def _existing_workspace(runtime: Runtime) -> str | None:
    async with runtime.sessions() as session:
        result = await session.execute(
            select(tr.Workspace.sid).where(tr.Workspace.friendly_name == company.WORKSPACE_NAME)
        )
        return result.scalars().first()


# TaskRouter's default activities, renamed for agents who read Portuguese.
RENAMED_DEFAULTS = {"Available": "Disponível", "Unavailable": "Indisponível"}


async def _activities_in_portuguese(
    service: TaskRouterService, session: AsyncSession, workspace_sid: str
) -> dict[str, str]:
    rows = (
        await session.execute(select(tr.Activity).where(tr.Activity.workspace_sid == workspace_sid))
    ).scalars()
    activities: dict[str, str] = {}
    for row in rows:
        name = RENAMED_DEFAULTS.get(row.friendly_name, row.friendly_name)
        if name != row.friendly_name:
            await service.update_activity(workspace_sid, row.sid, name)
        activities[name] = row.sid
    for name, available in company.ACTIVITIES:
        if name not in activities:
            activities[name] = (await service.create_activity(workspace_sid, name, available)).sid
    return activities


async def seed(runtime: Runtime, saved: Path) -> DemoSetup:
    previous = DemoSetup.load(saved)
    existing = await _existing_workspace(runtime)
    if previous is not None and existing == previous.workspace_sid:
        return previous
    async with runtime.sessions() as session:
        auth = AuthService(session)
        account = await auth.create_account("Demo CRM")
        service = TaskRouterService(session, runtime)
        workspace = await service.create_workspace(account.account_sid, company.WORKSPACE_NAME)
        ws = workspace.sid
        activities = await _activities_in_portuguese(service, session, ws)
        await service.update_workspace(
            ws,
            WorkspaceChanges(
                default_activity_sid=activities[company.DEFAULT_ACTIVITY],
                timeout_activity_sid=activities[company.TIMEOUT_ACTIVITY],
            ),
        )
        existing_channels = {
            row.unique_name
            for row in (
                await session.execute(
                    select(tr.TaskChannel).where(tr.TaskChannel.workspace_sid == ws)
                )
            ).scalars()
        }
        for unique_name, friendly_name, _capacity in company.CHANNELS:
            if unique_name not in existing_channels:
                await service.create_task_channel(ws, friendly_name, unique_name)
        queue_sids = {
            queue.key: (
                await service.create_task_queue(ws, queue.name, target_workers=queue.target_workers)
            ).sid
            for queue in company.ALL_QUEUES
        }
        workflow = await service.create_workflow(
            ws,
            "Atendimento",
            company.workflow_configuration(queue_sids),
            task_reservation_timeout=30,
        )
        simulated: dict[str, str] = {}
        password_hash = hash_password(company.DEMO_PASSWORD)
        for agent in company.AGENTS:
            start = company.DEFAULT_ACTIVITY if not agent.simulated else "Disponível"
            worker = await service.create_worker(
                ws, agent.name, activity_sid=activities[start], attributes=agent.attributes()
            )
            for unique_name, _name, capacity in company.CHANNELS:
                await service.update_worker_channel(ws, worker.sid, unique_name, capacity=capacity)
            await auth.create_user(
                agent.email,
                Role.AGENT,
                password_hash=password_hash,
                display_name=agent.name,
                workspace_sid=ws,
                worker_sid=worker.sid,
            )
            if agent.simulated:
                simulated[worker.sid] = agent.name
        for role, user in company.STAFF:
            await auth.create_user(
                f"{user}@{company.DEMO_DOMAIN}",
                Role(role),
                password_hash=password_hash,
                workspace_sid=ws,
            )
        await session.commit()
    setup = DemoSetup(
        account_sid=account.account_sid,
        auth_token=account.auth_token,
        workspace_sid=ws,
        workflow_sid=workflow.sid,
        simulated_workers=simulated,
        available_activity_sid=activities["Disponível"],
        break_activity_sid=activities["Pausa"],
    )
    setup.save(saved)
    return setup
