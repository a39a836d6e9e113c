"""The official `twilio` package, pointed at Atende with only `taskrouter.base_url` changed,
drives a whole contact-center journey; every response it receives must fit the spec."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.rest.taskrouter.v1.workspace import WorkspaceContext

from tests.conftest import LiveServer
from tests.taskrouter.conftest import make_account
from tests.taskrouter.spec import SpecChecker

T = TypeVar("T")


class RecordingHttpClient(TwilioHttpClient):
    """Keeps every response, so the test can validate what the real client received."""

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[tuple[str, str, Response]] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        response = super().request(method, url, *args, **kwargs)
        self.exchanges.append((method, url, response))
        return response


def wait_until(probe: Callable[[], T], accept: Callable[[T], bool], timeout: float = 15.0) -> T:
    deadline = time.monotonic() + timeout
    value = probe()
    while not accept(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = probe()
    return value


@pytest.fixture
def recorder() -> RecordingHttpClient:
    return RecordingHttpClient()


@pytest.fixture
def client(live_server: LiveServer, database_url: str, recorder: RecordingHttpClient) -> Client:
    account = make_account(database_url)
    twilio = Client(account.sid, account.token, http_client=recorder)
    twilio.taskrouter.base_url = live_server.url
    return twilio


def _activity(workspace: WorkspaceContext, name: str) -> str:
    return next(a.sid for a in workspace.activities.list() if a.friendly_name == name)


def test_whole_journey_with_the_official_client(
    client: Client, recorder: RecordingHttpClient
) -> None:
    created = client.taskrouter.v1.workspaces.create(friendly_name="Corretora")
    workspace = client.taskrouter.v1.workspaces(created.sid)
    assert created.default_activity_name == "Offline"
    available = _activity(workspace, "Available")
    pause = workspace.activities.create(friendly_name="Pausa", available=False)
    whatsapp = workspace.task_channels.create(friendly_name="WhatsApp", unique_name="whatsapp")
    assert {c.unique_name for c in workspace.task_channels.list()} >= {"voice", "whatsapp"}

    ana = workspace.workers.create(
        friendly_name="ana",
        attributes=json.dumps({"skills": ["auto"], "languages": ["pt"]}),
        activity_sid=available,
    )
    bia = workspace.workers.create(
        friendly_name="bia", attributes=json.dumps({"skills": ["auto"]}), activity_sid=pause.sid
    )
    workspace.workers(ana.sid).worker_channels(whatsapp.sid).update(capacity=3)
    queue = workspace.task_queues.create(friendly_name="Auto", target_workers="skills HAS 'auto'")
    assert [w.sid for w in workspace.workers.list(task_queue_sid=queue.sid)] == [ana.sid, bia.sid]
    configuration = {"task_routing": {"filters": [], "default_filter": {"queue": queue.sid}}}
    workflow = workspace.workflows.create(
        friendly_name="Vendas", configuration=json.dumps(configuration)
    )

    # A task is offered to the only available worker; she rejects it, bia comes back and
    # accepts it, wraps up and completes it.
    task = workspace.tasks.create(
        workflow_sid=workflow.sid, attributes=json.dumps({"product": "auto"}), task_channel="voice"
    )
    assert task.assignment_status == "reserved"
    offered = workspace.tasks(task.sid).reservations.list()
    assert [(r.worker_sid, r.reservation_status) for r in offered] == [(ana.sid, "pending")]
    rejected = (
        workspace.workers(ana.sid)
        .reservations(offered[0].sid)
        .update(reservation_status="rejected", worker_activity_sid=pause.sid)
    )
    assert rejected.reservation_status == "rejected"
    assert workspace.tasks(task.sid).fetch().assignment_status == "pending"
    workspace.workers(bia.sid).update(activity_sid=available)
    pending = workspace.tasks(task.sid).reservations.list(reservation_status="pending")
    assert [r.worker_sid for r in pending] == [bia.sid]
    accepted = (
        workspace.tasks(task.sid).reservations(pending[0].sid).update(reservation_status="accepted")
    )
    assert accepted.reservation_status == "accepted"
    with pytest.raises(TwilioRestException) as second:
        workspace.tasks(task.sid).reservations(pending[0].sid).update(reservation_status="accepted")
    assert (second.value.status, second.value.code) == (409, 20409)
    wrapping = workspace.tasks(task.sid).update(assignment_status="wrapping", reason="call ended")
    assert wrapping.assignment_status == "wrapping"
    done = workspace.tasks(task.sid).update(assignment_status="completed", reason="sold")
    assert (done.assignment_status, done.reason) == ("completed", "sold")

    # A reservation nobody answers times out and the worker moves to the timeout activity.
    quick = workspace.workflows.create(
        friendly_name="Rápido", configuration=json.dumps(configuration), task_reservation_timeout=1
    )
    waiting = workspace.tasks.create(workflow_sid=quick.sid, attributes="{}")
    offer = workspace.tasks(waiting.sid).reservations.list()[0]
    timed_out = wait_until(
        lambda: workspace.tasks(waiting.sid).reservations(offer.sid).fetch(),
        lambda r: r.reservation_status != "pending",
    )
    assert timed_out.reservation_status == "timeout"
    assert workspace.workers(offer.worker_sid).fetch().activity_name == "Offline"

    statistics = workspace.statistics().fetch(split_by_wait_time="30")
    assert statistics.cumulative["tasks_created"] == 2
    assert statistics.cumulative["reservations_accepted"] == 1
    assert statistics.cumulative["reservations_rejected"] == 1
    assert statistics.cumulative["reservations_timed_out"] == 1
    assert statistics.cumulative["split_by_wait_time"]["30"]["below"]["reservations_accepted"] == 1
    assert statistics.realtime["tasks_by_status"]["completed"] == 1
    queue_stats = workspace.task_queues(queue.sid).real_time_statistics().fetch()
    assert queue_stats.total_eligible_workers == 2
    assert queue_stats.tasks_by_status["pending"] == 1
    workers_stats = workspace.workers.statistics().fetch()
    assert workers_stats.realtime["total_workers"] == 2
    bia_stats = workspace.workers(bia.sid).statistics().fetch()
    assert bia_stats.cumulative["reservations_accepted"] == 1

    events = workspace.events.list(task_sid=task.sid)
    types = [event.event_type for event in events]
    for expected in ("task.created", "reservation.rejected", "reservation.accepted"):
        assert expected in types
    assert types.index("task.completed") < types.index("task.created")  # newest first

    checker = SpecChecker.load()
    for method, url, response in recorder.exchanges:
        if response.status_code < 400:
            body = json.loads(response.text) if response.text else None
            checker.check(method, url, response.status_code, body)
    assert len(checker.checked) >= 20
