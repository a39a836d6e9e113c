"""A small contact center wired to a fake Twilio: a workspace, two queues, a workflow with the
transfer filters, three agents (softphone, softphone, mobile phone) and a voice channel."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from atende.auth.models import Role
from atende.auth.service import AuthService
from atende.config import Settings
from atende.flows.runner import FlowRunner
from atende.taskrouter import models as tr
from atende.taskrouter.service import TaskRouterService
from atende.voice.channels import ChannelService
from atende.voice.models import Call, CallLeg, Recording, VoiceWebhook
from atende.voice.routing import transfer_filters
from tests.fakes.twilio_api import FakeTwilio, Request, fake_twilio
from tests.support.waiting import eventually
from tests.voice.carrier import COMPANY_NUMBER, Caller, Carrier

# 2026-11-23 is a Monday; 13:00 UTC is 10:00 in São Paulo: the company is open.
MONDAY_MORNING = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)

AGENTS = {
    "ana": {"skills": ["relacionamento"], "contact_uri": "client:ana"},
    "bruno": {"skills": ["relacionamento", "ouvidoria"], "contact_uri": "client:bruno"},
    "carla": {"skills": ["ouvidoria"], "contact_uri": "+5511911112222"},
}


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture
def settings(database_url: str, settings: Settings, twilio: FakeTwilio) -> Settings:
    """The suite's settings (`database_url` named so its parametrisation carries over), with
    Twilio's REST base pointed at the fake."""
    return dataclasses.replace(settings, twilio_api_base=twilio.url)


@dataclass
class ContactCenter:
    app: FastAPI
    twilio: FakeTwilio
    workspace_sid: str
    workflow_sid: str
    general_queue: str
    complaints_queue: str
    available: str
    offline: str
    channel_sid: str
    workers: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def set_available(self, name: str, available: bool = True) -> None:
        async with self.runtime.sessions() as session:
            await TaskRouterService(session, self.runtime).update_worker(
                self.workspace_sid,
                self.workers[name],
                activity_sid=self.available if available else self.offline,
            )
            await session.commit()

    async def reservations(self, name: str, status: str = "pending") -> list[tr.Reservation]:
        async with self.runtime.sessions() as session:
            result = await session.execute(
                select(tr.Reservation).where(
                    tr.Reservation.worker_sid == self.workers[name],
                    tr.Reservation.reservation_status == status,
                )
            )
            return list(result.scalars())

    async def wait_for_reservation(self, name: str) -> tr.Reservation:
        found = await eventually(lambda: self.reservations(name), bool)
        assert found, f"no reservation for {name}"
        return found[0]

    async def accept(self, name: str) -> tr.Reservation:
        """What the desk does when the agent clicks accept."""
        reservation = await self.wait_for_reservation(name)
        async with self.runtime.sessions() as session:
            await TaskRouterService(session, self.runtime).accept_reservation(
                self.workspace_sid, reservation.sid
            )
            await session.commit()
        return reservation

    async def reject(self, name: str) -> tr.Reservation:
        reservation = await self.wait_for_reservation(name)
        async with self.runtime.sessions() as session:
            await TaskRouterService(session, self.runtime).reject_reservation(
                self.workspace_sid, reservation.sid, self.offline
            )
            await session.commit()
        return reservation

    async def call(self, sid: str | None = None) -> Call:
        async with self.runtime.sessions() as session:
            query = select(Call).order_by(Call.created_at.desc())
            if sid is not None:
                query = query.where(Call.sid == sid)
            found = (await session.execute(query.limit(1))).scalar_one()
            session.expunge(found)
            return found

    async def calls(self) -> list[Call]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(select(Call))).scalars())

    async def legs(self, call_sid: str) -> list[CallLeg]:
        async with self.runtime.sessions() as session:
            result = await session.execute(
                select(CallLeg).where(CallLeg.voice_call_sid == call_sid)
            )
            return list(result.scalars())

    async def recordings(self) -> list[Recording]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(select(Recording))).scalars())

    async def webhooks(self) -> list[VoiceWebhook]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(select(VoiceWebhook))).scalars())

    async def task(self, sid: str) -> tr.Task:
        async with self.runtime.sessions() as session:
            task = await session.get(tr.Task, sid)
            assert task is not None
            return task

    async def tasks(self) -> list[tr.Task]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(select(tr.Task))).scalars())

    async def wait_call(self, accept: Any, sid: str | None = None) -> Call:
        return await eventually(lambda: self.call(sid), accept)

    async def participant_requests(self, label_prefix: str, count: int = 1) -> list[Request]:
        return await self.twilio.arrived(
            lambda r: (
                r.operation.endswith("/Participants.json")
                and (r.value("Label") or "").startswith(label_prefix)
                and r.status == 201
            ),
            count,
        )


async def build_center(app: FastAPI, twilio: FakeTwilio) -> ContactCenter:
    runtime = app.state.runtime
    runner: FlowRunner = runtime.services["voice.flow_runner"]
    runner.clock = lambda: MONDAY_MORNING
    async with runtime.sessions() as session:
        service = TaskRouterService(session, runtime)
        workspace = await service.create_workspace(twilio.account_sid, "Corretora")
        activities = {
            row.friendly_name: row.sid
            for row in (
                await session.execute(
                    select(tr.Activity).where(tr.Activity.workspace_sid == workspace.sid)
                )
            ).scalars()
        }
        general = await service.create_task_queue(
            workspace.sid, "Relacionamento", target_workers="1==1"
        )
        complaints = await service.create_task_queue(
            workspace.sid, "Reclamações", target_workers="skills HAS 'ouvidoria'"
        )
        configuration = {
            "task_routing": {
                "filters": [
                    *transfer_filters({"Reclamações": complaints.sid}, general.sid),
                    {
                        "filter_friendly_name": "Reclamações",
                        "expression": "motivo == 'reclamacao'",
                        "targets": [{"queue": complaints.sid}],
                    },
                ],
                "default_filter": {"queue": general.sid},
            }
        }
        workflow = await service.create_workflow(
            workspace.sid, "Atendimento", json.dumps(configuration), task_reservation_timeout=60
        )
        workers = {}
        for name, attributes in AGENTS.items():
            worker = await service.create_worker(
                workspace.sid, name, activity_sid=activities["Offline"], attributes=attributes
            )
            workers[name] = worker.sid
        channel = await ChannelService(session).create(
            name="Central",
            phone_number=COMPANY_NUMBER,
            account_sid=twilio.account_sid,
            auth_token=twilio.auth_token,
            workflow_sid=workflow.sid,
        )
        auth = AuthService(session)
        tokens = {}
        for name, worker_sid in workers.items():
            user = await auth.create_user(
                f"{name}@corretora.example",
                Role.AGENT,
                worker_sid=worker_sid,
                workspace_sid=workspace.sid,
            )
            tokens[name] = await auth.create_token(name, Role.AGENT, user.id)
        tokens["supervisor"] = await auth.create_token("supervisora", Role.SUPERVISOR)
        await session.commit()
    return ContactCenter(
        app=app,
        twilio=twilio,
        workspace_sid=workspace.sid,
        workflow_sid=workflow.sid,
        general_queue=general.sid,
        complaints_queue=complaints.sid,
        available=activities["Available"],
        offline=activities["Offline"],
        channel_sid=channel.sid,
        workers=workers,
        tokens=tokens,
    )


@pytest.fixture
async def center(app: FastAPI, twilio: FakeTwilio) -> ContactCenter:
    return await build_center(app, twilio)


@pytest.fixture
async def carrier(client: httpx.AsyncClient, twilio: FakeTwilio) -> AsyncIterator[Carrier]:
    yield Carrier(client, twilio, "http://testserver")


async def queued_caller(carrier: Carrier, digit: str = "4") -> Caller:
    """A caller who chose from the menu, declined the callback and waits in the conference."""
    caller = await carrier.dial_in()
    await caller.press(digit)
    await caller.stay_silent()
    await caller.enter_conference()
    return caller


async def connected_call(
    center: ContactCenter, carrier: Carrier, agent: str = "ana", digit: str = "4"
) -> tuple[Caller, Call, str]:
    """A caller talking to `agent`; returns the caller, the call and the agent's leg SID."""
    await center.set_available(agent)
    caller = await queued_caller(carrier, digit)
    await center.accept(agent)
    [dial] = await center.participant_requests(f"agent:{center.workers[agent]}")
    agent_leg = await carrier.answer_participant(dial)
    call = await center.wait_call(lambda c: c.stage == "connected")
    return caller, call, agent_leg
