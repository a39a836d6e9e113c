"""End-to-end journeys of a phone call: a simulated carrier calls Atende's signed webhooks and
follows its TwiML; Atende's REST requests reach the fake Twilio through the outbox."""

from __future__ import annotations

import json

import httpx

from tests.voice.carrier import Carrier
from tests.voice.conftest import ContactCenter


async def test_answered_call_from_menu_to_completed_task(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    caller = await carrier.dial_in()
    said = caller.said()
    assert said[0].startswith("Olá! Seu número de protocolo é ")
    assert "gravada" in said[1]
    menu = caller.gather()
    assert menu is not None and "Reclamação, 7" in "".join(menu.itertext())

    await caller.press("4")
    assert "Aguarde" in caller.said()[0]
    call = await center.call()
    assert call.stage == "queued"
    task = await center.task(call.task_sid or "")
    attributes = json.loads(task.attributes)
    assert attributes["call_sid"] == caller.call_sid
    assert attributes["from"] == caller.from_
    assert attributes["to"] == caller.to
    assert attributes["direction"] == "inbound"
    assert attributes["protocol"] == call.protocol
    assert attributes["motivo"] == "apolice"
    assert attributes["conference"] == call.sid

    await caller.stay_silent()  # no callback, thanks: into the conference
    assert await caller.enter_conference() == call.sid
    waiting = await caller.hear_waiting_room()
    assert waiting == ["Você é o 1º da fila. O tempo estimado de espera é de 4 minuto(s)."]

    await center.set_available("ana")
    await center.accept("ana")
    [dial] = await center.participant_requests("agent:")
    assert dial.value("To") == "client:ana"
    assert dial.value("From") == caller.from_
    assert center.twilio.conference_by_name(call.sid) is not None
    await carrier.answer_participant(dial)
    call = await center.wait_call(lambda c: c.stage == "connected")
    assert call.worker_sid == center.workers["ana"]
    assert call.connected_at is not None

    response = await client.post(f"/api/calls/{call.sid}/hangup", headers=center.headers("ana"))
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "wrapup"
    await center.twilio.arrived(lambda r: r.operation.endswith("/Conferences/{Sid}.json"))
    await caller.hang_up()

    missing = await client.post(
        f"/api/calls/{call.sid}/complete", json={}, headers=center.headers("ana")
    )
    assert missing.status_code == 422
    codes = (await client.get("/api/voice/dispositions", headers=center.headers("ana"))).json()
    wrong = await client.post(
        f"/api/calls/{call.sid}/complete", json={"disposition": "x"}, headers=center.headers("ana")
    )
    assert wrong.status_code == 422 and codes[0] in wrong.json()["detail"]
    done = await client.post(
        f"/api/calls/{call.sid}/complete",
        json={"disposition": codes[0], "notes": "Explicou a franquia"},
        headers=center.headers("ana"),
    )
    assert done.status_code == 200, done.text
    assert done.json()["stage"] == "ended"
    task = await center.task(call.task_sid or "")
    assert task.assignment_status == "completed"
    assert not (await center.call(call.sid)).abandoned
