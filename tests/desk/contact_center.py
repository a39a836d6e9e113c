"""A small contact center for the desk's tests, built through the TaskRouter service from the
demo company's data: its activities, channels, queues, workflow, agents with logins, a
supervisor and an administrator."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from atende.auth.models import Role
from atende.auth.service import AuthService
from atende.demo import company
from atende.runtime import Runtime
from atende.taskrouter.service import TaskRouterService
from atende.voice.channels import ChannelService
from tests.fakes.twilio_api import FakeTwilio

PASSWORD = "senha-bem-forte"
TWILIO_AUTH_TOKEN = "segredo-da-conta-twilio-com-32-bytes!"
DOMAIN = "corretora.com.br"


@dataclass
class ContactCenter:
    workspace_sid: str
    workflow_sid: str
    activities: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    workers: dict[str, str] = field(default_factory=dict)

    def email(self, user: str) -> str:
        return f"{user}@{DOMAIN}"


AGENTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("Ana Souza", "ana", ("auto", "relacionamento"), "Vendas"),
    ("Bruno Lima", "bruno", ("auto", "residencial"), "Vendas"),
    ("Elisa Prado", "elisa", ("relacionamento", "retencao", "ouvidoria"), "Relacionamento"),
)


async def seed(runtime: Runtime, extra_workers: int = 0) -> ContactCenter:
    """Agents start Offline; `extra_workers` adds that many generated workers without logins
    (a big team for the supervisor's views)."""
    async with runtime.sessions() as session:
        service = TaskRouterService(session, runtime)
        workspace = await service.create_workspace("AC" + "0" * 32, company.WORKSPACE_NAME)
        sid = workspace.sid
        engine = (await service.routing(sid)).engine
        activities = {a.friendly_name: a.sid for a in engine.activities.values()}
        for name, available in company.ACTIVITIES:
            if name not in activities:
                activities[name] = (await service.create_activity(sid, name, available)).sid
        for name in [n for n in activities if n not in dict(company.ACTIVITIES)]:
            await service.delete_activity(sid, activities.pop(name))
        channels = {c.unique_name for c in engine.task_channels.values()}
        for unique_name, name, _capacity in company.CHANNELS:
            if unique_name not in channels:
                await service.create_task_channel(sid, name, unique_name)
        queues = {}
        for queue in company.ALL_QUEUES:
            row = await service.create_task_queue(
                sid, queue.name, target_workers=queue.target_workers
            )
            queues[queue.key] = row.sid
        workflow = await service.create_workflow(
            sid, "Atendimento", company.workflow_configuration(queues), task_reservation_timeout=60
        )
        center = ContactCenter(sid, workflow.sid, activities, queues)
        auth = AuthService(session)
        for name, user, skills, team in AGENTS:
            worker = await service.create_worker(
                sid,
                name,
                activity_sid=activities["Offline"],
                attributes=_attributes(skills, team, user),
            )
            await _set_capacities(service, sid, worker.sid)
            center.workers[user] = worker.sid
            await auth.create_user(
                center.email(user),
                Role.AGENT,
                password=PASSWORD,
                display_name=name,
                workspace_sid=sid,
                worker_sid=worker.sid,
            )
        for role, user in ((Role.SUPERVISOR, "supervisora"), (Role.ADMIN, "admin")):
            await auth.create_user(
                center.email(user),
                role,
                password=PASSWORD,
                display_name=user.title(),
                workspace_sid=sid,
            )
        await session.commit()
    if extra_workers:
        await add_workers(runtime, center, extra_workers)
    return center


async def add_workers(runtime: Runtime, center: ContactCenter, count: int) -> None:
    """Generated agents without logins, two in three available: a big team to supervise."""
    async with runtime.sessions() as session:
        service = TaskRouterService(session, runtime)
        for index in range(count):
            skills = ("auto", "relacionamento") if index % 2 else ("vida", "residencial")
            worker = await service.create_worker(
                center.workspace_sid,
                f"Agente {index:04d}",
                activity_sid=center.activities["Disponível" if index % 3 else "Offline"],
                attributes=_attributes(skills, f"Time {index % 7}", f"agente{index:04d}"),
            )
            center.workers[f"agente{index:04d}"] = worker.sid
        await session.commit()


def _attributes(skills: tuple[str, ...], team: str, user: str) -> dict[str, Any]:
    return {
        "skills": list(skills),
        "languages": ["pt"],
        "team": team,
        "contact_uri": f"client:{user}",
    }


async def _set_capacities(service: TaskRouterService, workspace_sid: str, worker_sid: str) -> None:
    for unique_name, _name, capacity in company.CHANNELS:
        if capacity != 1:
            await service.update_worker_channel(
                workspace_sid, worker_sid, unique_name, capacity=capacity
            )


async def set_activity(app: FastAPI, center: ContactCenter, user: str, activity: str) -> None:
    async with app.state.runtime.sessions() as session:
        await TaskRouterService(session, app.state.runtime).update_worker(
            center.workspace_sid, center.workers[user], activity_sid=center.activities[activity]
        )
        await session.commit()


async def create_task(
    app: FastAPI, center: ContactCenter, attributes: dict[str, Any], channel: str = "whatsapp"
) -> str:
    async with app.state.runtime.sessions() as session:
        task = await TaskRouterService(session, app.state.runtime).create_task(
            center.workspace_sid, center.workflow_sid, json.dumps(attributes), channel
        )
        await session.commit()
        return task.sid


async def add_voice_channel(
    runtime: Runtime,
    center: ContactCenter,
    kind: str = "twilio",
    number: str = "+551140041234",
    twilio: FakeTwilio | None = None,
) -> str:
    """A company number on Twilio (the desk then offers the browser softphone) or the sandbox;
    with `twilio`, the channel's account and REST calls are the fake's."""
    async with runtime.sessions() as session:
        channel = await ChannelService(session).create(
            name=f"Central {kind}",
            kind=kind,
            phone_number=number,
            account_sid=twilio.account_sid if twilio else "AC" + "1" * 32,
            auth_token=twilio.auth_token if twilio else TWILIO_AUTH_TOKEN,
            api_base=twilio.url if twilio else None,
            workflow_sid=center.workflow_sid,
        )
        await session.commit()
        return channel.sid
