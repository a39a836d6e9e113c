"""UpdateTask's `TaskChannel`: a waiting task moves to another channel and is routed again
there; an assigned one keeps its channel, refused with a 400 naming the parameter."""

from __future__ import annotations

import json

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.conftest import LiveServer
from tests.taskrouter.conftest import make_account


@pytest.fixture
def twilio(live_server: LiveServer, database_url: str) -> Client:
    account = make_account(database_url)
    client = Client(account.sid, account.token)
    client.taskrouter.base_url = live_server.url
    return client


def test_a_waiting_task_moves_to_another_channel_and_is_offered_there(twilio: Client) -> None:
    created = twilio.taskrouter.v1.workspaces.create(friendly_name="Corretora")
    workspace = twilio.taskrouter.v1.workspaces(created.sid)
    available = next(a.sid for a in workspace.activities.list() if a.available)
    queue = workspace.task_queues.create(friendly_name="Todos", target_workers="1==1")
    configuration = {"task_routing": {"default_filter": {"queue": queue.sid}}}
    workflow = workspace.workflows.create(
        friendly_name="Atendimento", configuration=json.dumps(configuration)
    )
    ana = workspace.workers.create(friendly_name="ana", activity_sid=available).sid
    call = workspace.tasks.create(workflow_sid=workflow.sid, task_channel="voice")
    offer = workspace.tasks(call.sid).reservations.list()[0]
    workspace.tasks(call.sid).reservations(offer.sid).update(reservation_status="accepted")
    waiting = workspace.tasks.create(workflow_sid=workflow.sid, task_channel="voice")
    assert waiting.assignment_status == "pending"  # ana's one voice slot is taken

    moved = workspace.tasks(waiting.sid).update(task_channel="chat")

    assert moved.task_channel_unique_name == "chat"
    assert moved.assignment_status == "reserved"
    offers = workspace.tasks(waiting.sid).reservations.list()
    assert [r.worker_sid for r in offers] == [ana]
    with pytest.raises(TwilioRestException) as refused:
        workspace.tasks(call.sid).update(task_channel="chat")
    assert refused.value.status == 400
    assert "Invalid parameter TaskChannel: " in refused.value.msg
    assert "only a pending or reserved task can change its channel" in refused.value.msg
    assert workspace.tasks(call.sid).fetch().task_channel_unique_name == "voice"
    with pytest.raises(TwilioRestException) as unknown:
        workspace.tasks(waiting.sid).update(task_channel="fax")
    assert "TaskChannel" in unknown.value.msg and "fax" in unknown.value.msg
