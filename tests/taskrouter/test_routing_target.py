"""RoutingTarget and IgnoreCapacity on task creation: a task sent straight to a worker, a queue
or a workflow, through the official `twilio` client and the raw API, and kept across a reload
from the database."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from atende.routing.engine import RoutingEngine
from atende.taskrouter import models
from atende.taskrouter.persistence import load_snapshot
from tests.conftest import LiveServer
from tests.taskrouter.builders import Center, build_center, ok
from tests.taskrouter.conftest import make_account


@pytest.fixture
def twilio(live_server: LiveServer, database_url: str) -> Client:
    account = make_account(database_url)
    client = Client(account.sid, account.token)
    client.taskrouter.base_url = live_server.url
    return client


def _workspace(twilio: Client) -> tuple[Any, dict[str, str]]:
    """A workspace whose workflow sends every task to the `auto` queue."""
    created = twilio.taskrouter.v1.workspaces.create(friendly_name="Corretora")
    workspace = twilio.taskrouter.v1.workspaces(created.sid)
    activities = {a.friendly_name: a.sid for a in workspace.activities.list()}
    auto = workspace.task_queues.create(friendly_name="Auto", target_workers="skills HAS 'auto'")
    configuration = {"task_routing": {"filters": [], "default_filter": {"queue": auto.sid}}}
    workflow = workspace.workflows.create(
        friendly_name="Vendas", configuration=json.dumps(configuration)
    )
    ana, bia = (
        workspace.workers.create(
            friendly_name=name,
            attributes=json.dumps({"skills": ["auto"]}),
            activity_sid=activities[activity],
        ).sid
        for name, activity in (("ana", "Available"), ("bia", "Offline"))
    )
    return workspace, {
        "queue": auto.sid,
        "workflow": workflow.sid,
        "ana": ana,
        "bia": bia,
        **activities,
    }


def test_a_task_for_a_worker_reaches_it_even_offline_by_default(twilio: Client) -> None:
    workspace, sids = _workspace(twilio)
    task = workspace.tasks.create(
        workflow_sid=sids["workflow"], attributes="{}", routing_target=sids["bia"]
    )
    assert (task.routing_target, task.ignore_capacity) == (sids["bia"], True)
    assert task.assignment_status == "reserved"
    assert task.task_queue_sid == sids["queue"]
    reservations = workspace.tasks(task.sid).reservations.list()
    assert [r.worker_sid for r in reservations] == [sids["bia"]]  # not ana, who is free


def test_respecting_capacity_the_task_waits_for_its_worker(twilio: Client) -> None:
    workspace, sids = _workspace(twilio)
    task = workspace.tasks.create(
        workflow_sid=sids["workflow"],
        attributes="{}",
        routing_target=sids["bia"],
        ignore_capacity="false",
    )
    assert (task.assignment_status, task.ignore_capacity) == ("pending", False)
    workspace.workers(sids["bia"]).update(activity_sid=sids["Available"])
    reservations = workspace.tasks(task.sid).reservations.list()
    assert [r.worker_sid for r in reservations] == [sids["bia"]]
    listed = workspace.tasks.list(routing_target=sids["bia"])
    assert [t.sid for t in listed] == [task.sid]


def test_refusals_name_the_parameter(twilio: Client) -> None:
    workspace, sids = _workspace(twilio)
    with pytest.raises(TwilioRestException) as refused:
        workspace.tasks.create(
            workflow_sid=sids["workflow"], routing_target=sids["queue"], ignore_capacity="true"
        )
    assert refused.value.status == 400
    assert "IgnoreCapacity" in refused.value.msg
    with pytest.raises(TwilioRestException) as unknown:
        workspace.tasks.create(workflow_sid=sids["workflow"], routing_target="WK" + "0" * 32)
    assert "RoutingTarget" in unknown.value.msg and "unknown worker" in unknown.value.msg


async def _second_queue(center: Center) -> str:
    queue = await ok(
        await center.http.post(
            f"{center.base}/TaskQueues",
            data={"FriendlyName": "Casa", "TargetWorkers": "skills HAS 'casa'"},
        ),
        201,
    )
    return str(queue["sid"])


async def test_a_task_for_a_queue_skips_the_workflow_filters(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    casa = await _second_queue(center)
    caio = await center.worker("caio", skills=["casa"])
    data = {"WorkflowSid": center.workflow, "Attributes": "{}", "RoutingTarget": casa}
    task = await ok(await tr.post(f"{center.base}/Tasks", data=data), 201)
    assert (task["task_queue_sid"], task["routing_target"]) == (casa, casa)
    assert [r["worker_sid"] for r in await center.reservations(task["sid"])] == [caio]


async def test_a_workflow_as_routing_target_stands_for_workflow_sid(
    tr: httpx.AsyncClient,
) -> None:
    center = await build_center(tr)
    ana = await center.worker("ana")
    other = await center.workflow_with(FriendlyName="Outro")  # two workflows now
    data = {"Attributes": "{}", "RoutingTarget": other}
    task = await ok(await tr.post(f"{center.base}/Tasks", data=data), 201)
    assert task["workflow_sid"] == other
    assert [r["worker_sid"] for r in await center.reservations(task["sid"])] == [ana]


@pytest.mark.parametrize(
    ("extra", "parameter", "reason"),
    [
        ({"TaskQueueSid": "queue"}, "TaskQueueSid", "give the queue's SID as RoutingTarget"),
        ({"RoutingTarget": "casa", "IgnoreCapacity": "yes"}, "IgnoreCapacity", "Worker SID"),
        ({"RoutingTarget": "caio", "TaskQueueSid": "queue"}, "RoutingTarget", "is not in task"),
        ({"RoutingTarget": "WS" + "0" * 32}, "RoutingTarget", "is not a worker (WK)"),
    ],
)
async def test_inconsistent_targets_are_refused_and_nothing_is_created(
    tr: httpx.AsyncClient, extra: dict[str, str], parameter: str, reason: str
) -> None:
    center = await build_center(tr)
    names = {
        "queue": center.queue,
        "casa": await _second_queue(center),
        "caio": await center.worker("caio", skills=["casa"]),
    }
    data = {"WorkflowSid": center.workflow, **{k: names.get(v, v) for k, v in extra.items()}}
    response = await tr.post(f"{center.base}/Tasks", data=data)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(f"Invalid parameter {parameter}: ")
    assert reason in response.json()["message"]
    assert (await ok(await tr.get(f"{center.base}/Tasks")))["tasks"] == []


async def test_the_target_is_restored_from_the_database(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    bia = await center.worker("bia", available=False)
    data = {
        "WorkflowSid": center.workflow,
        "Attributes": "{}",
        "RoutingTarget": bia,
        "IgnoreCapacity": "0",
    }
    task = await ok(await tr.post(f"{center.base}/Tasks", data=data), 201)
    async with app.state.runtime.sessions() as session:
        row = await session.get(models.Workspace, center.sid)
        assert row is not None
        snapshot = await load_snapshot(session, row)
    engine = RoutingEngine(time.time, lambda prefix: prefix + "f" * 32)
    engine.restore(snapshot)
    restored = engine.tasks[task["sid"]]
    assert (restored.routing_target, restored.ignore_capacity) == (bia, False)
    # Another free worker of the queue is not offered bia's task; bia is, once available.
    engine.upsert_worker(
        "WK" + "a" * 32, attributes={"skills": ["auto"]}, activity_sid=center.available
    )
    assert engine.task_reservations(task["sid"]) == []
    engine.set_worker_activity(bia, center.available)
    assert [r.worker_sid for r in engine.task_reservations(task["sid"])] == [bia]
