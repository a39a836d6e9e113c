"""Cold and warm transfers: routing finds the target, Atende moves the caller between agents."""

from __future__ import annotations

import json

import httpx

from tests.fakes.twilio_api import Request
from tests.voice.carrier import Carrier
from tests.voice.conftest import ContactCenter, connected_call


def _hold_requests(center: ContactCenter, customer: str, hold: str) -> list[Request]:
    return [
        r
        for r in center.twilio.requests
        if r.path.endswith(f"/Participants/{customer}.json") and r.value("Hold") == hold
    ]


async def test_cold_transfer_to_an_agent(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    caller, call, ana_leg = await connected_call(center, carrier)
    await center.set_available("bruno")
    response = await client.post(
        f"/api/calls/{call.sid}/transfer",
        json={"kind": "cold", "worker_sid": center.workers["bruno"]},
        headers=center.headers("ana"),
    )
    assert response.status_code == 200, response.text
    transfer = response.json()["transfer"]
    assert transfer["state"] == "waiting" and transfer["kind"] == "cold"
    await center.twilio.arrived(lambda r: _hold_requests(center, caller.call_sid, "true") != [])

    await center.accept("bruno")
    [dial] = await center.participant_requests(f"agent:{center.workers['bruno']}")
    assert dial.value("To") == "client:bruno"
    await carrier.answer_participant(dial)

    call = await center.wait_call(lambda c: c.worker_sid == center.workers["bruno"])
    assert call.transfer is None and call.stage == "connected"
    removed = await center.twilio.arrived(
        lambda r: r.method == "DELETE" and r.path.endswith(f"/Participants/{ana_leg}.json")
    )
    assert removed
    assert await center.twilio.arrived(
        lambda r: _hold_requests(center, caller.call_sid, "false") != []
    )
    first_task = await center.task(response.json()["task_sid"])
    assert first_task.assignment_status == "wrapping"
    second_task = await center.task(call.task_sid or "")
    assert second_task.assignment_status == "assigned"
    assert json.loads(second_task.attributes)["transfer"] == "cold"

    # Ana's own leg leaving does not end the caller's call.
    await carrier.conference_event(call.sid, "participant-leave", ana_leg)
    assert (await center.call(call.sid)).stage == "connected"
    forbidden = await client.post(f"/api/calls/{call.sid}/hold", headers=center.headers("ana"))
    assert forbidden.status_code == 403


async def test_cold_transfer_to_a_queue_reaches_its_agents(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    caller, call, _ = await connected_call(center, carrier)
    await center.set_available("carla")
    response = await client.post(
        f"/api/calls/{call.sid}/transfer",
        json={"queue_sid": center.complaints_queue},
        headers=center.headers("ana"),
    )
    assert response.status_code == 200, response.text
    await center.accept("carla")
    [dial] = await center.participant_requests(f"agent:{center.workers['carla']}")
    assert dial.value("To") == "+5511911112222"
    assert dial.value("From") == caller.to  # a phone leg shows the company's number
    await carrier.answer_participant(dial)
    call = await center.wait_call(lambda c: c.worker_sid == center.workers["carla"])
    assert call.stage == "connected"


async def test_warm_transfer_consults_then_completes(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    _caller, call, ana_leg = await connected_call(center, carrier)
    await center.set_available("bruno")
    started = await client.post(
        f"/api/calls/{call.sid}/transfer",
        json={"kind": "warm", "worker_sid": center.workers["bruno"]},
        headers=center.headers("ana"),
    )
    assert started.status_code == 200, started.text
    early = await client.post(
        f"/api/calls/{call.sid}/transfer/complete", headers=center.headers("ana")
    )
    assert early.status_code == 409
    await center.accept("bruno")
    [dial] = await center.participant_requests(f"consult:{center.workers['bruno']}")
    await carrier.answer_participant(dial)
    call = await center.wait_call(lambda c: (c.transfer or {}).get("state") == "consulting")
    assert call.worker_sid == center.workers["ana"]
    assert call.on_hold

    done = await client.post(
        f"/api/calls/{call.sid}/transfer/complete", headers=center.headers("ana")
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["worker_sid"] == center.workers["bruno"] and body["transfer"] is None
    assert body["on_hold"] is False
    assert await center.twilio.arrived(
        lambda r: r.method == "DELETE" and r.path.endswith(f"/Participants/{ana_leg}.json")
    )


async def test_warm_transfer_canceled_gives_the_caller_back(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    _caller, call, _ = await connected_call(center, carrier)
    await center.set_available("bruno")
    await client.post(
        f"/api/calls/{call.sid}/transfer",
        json={"kind": "warm", "worker_sid": center.workers["bruno"]},
        headers=center.headers("ana"),
    )
    await center.accept("bruno")
    [dial] = await center.participant_requests(f"consult:{center.workers['bruno']}")
    bruno_leg = await carrier.answer_participant(dial)
    await center.wait_call(lambda c: (c.transfer or {}).get("state") == "consulting")
    transfer_task = (await center.call(call.sid)).transfer["task_sid"]  # type: ignore[index]

    canceled = await client.post(
        f"/api/calls/{call.sid}/transfer/cancel", headers=center.headers("ana")
    )
    assert canceled.status_code == 200, canceled.text
    body = canceled.json()
    assert body["worker_sid"] == center.workers["ana"] and body["transfer"] is None
    assert await center.twilio.arrived(
        lambda r: r.method == "DELETE" and r.path.endswith(f"/Participants/{bruno_leg}.json")
    )
    assert (await center.task(transfer_task)).assignment_status == "completed"
    assert (await center.task(call.task_sid or "")).assignment_status == "assigned"


async def test_transfer_nobody_takes_is_dropped_when_its_task_is_canceled(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    _caller, call, _ = await connected_call(center, carrier)
    response = await client.post(
        f"/api/calls/{call.sid}/transfer",
        json={"kind": "cold", "worker_sid": center.workers["bruno"]},
        headers=center.headers("ana"),
    )
    task_sid = response.json()["transfer"]["task_sid"]
    supervisor = {"Authorization": f"Bearer {center.tokens['supervisor']}"}
    canceled = await client.post(f"/api/calls/{call.sid}/transfer/cancel", headers=supervisor)
    assert canceled.status_code == 200
    assert (await center.task(task_sid)).assignment_status == "canceled"
    assert (await center.call(call.sid)).on_hold is False
