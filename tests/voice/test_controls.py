"""The desk's call controls through the native API, with role and ownership checks."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import jwt
import pytest
from sqlalchemy import update

from atende.db.base import utcnow
from atende.taskrouter.service import TaskRouterService
from atende.voice import jobs
from atende.voice.config import VoiceConfig
from atende.voice.models import Recording
from tests.voice.carrier import Carrier
from tests.voice.conftest import ContactCenter, connected_call


async def test_hold_resume_and_mute_reach_twilio(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    caller, call, agent_leg = await connected_call(center, carrier)
    headers = center.headers("ana")
    held = await client.post(f"/api/calls/{call.sid}/hold", headers=headers)
    assert held.status_code == 200 and held.json()["on_hold"] is True
    [hold] = await center.twilio.arrived(
        lambda r: r.path.endswith(f"/Participants/{caller.call_sid}.json") and r.value("Hold")
    )
    assert hold.value("Hold") == "true"
    assert hold.value("HoldUrl") == "http://testserver/webhooks/twilio/voice/hold"
    resumed = await client.post(f"/api/calls/{call.sid}/resume", headers=headers)
    assert resumed.json()["on_hold"] is False
    muted = await client.post(f"/api/calls/{call.sid}/mute", headers=headers)
    assert muted.status_code == 200
    [mute] = await center.twilio.arrived(
        lambda r: r.path.endswith(f"/Participants/{agent_leg}.json") and r.value("Muted")
    )
    assert mute.value("Muted") == "true"
    legs = {leg["call_sid"]: leg for leg in muted.json()["legs"]}
    assert legs[agent_leg]["muted"] is True


async def test_an_agent_controls_only_their_own_calls(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    _, call, _ = await connected_call(center, carrier)
    stranger = await client.post(f"/api/calls/{call.sid}/hold", headers=center.headers("bruno"))
    assert stranger.status_code == 403
    assert stranger.json()["detail"] == "agents may only control their own calls"
    peek = await client.get(f"/api/calls/{call.sid}", headers=center.headers("bruno"))
    assert peek.status_code == 403
    assert (await client.get("/api/calls", headers=center.headers("bruno"))).json() == []
    mine = (await client.get("/api/calls", headers=center.headers("ana"))).json()
    assert [c["sid"] for c in mine] == [call.sid]
    supervisor = await client.post(
        f"/api/calls/{call.sid}/hold", headers=center.headers("supervisor")
    )
    assert supervisor.status_code == 200
    anonymous = await client.post(f"/api/calls/{call.sid}/hold")
    assert anonymous.status_code == 401
    missing = await client.post("/api/calls/VCnope/hold", headers=center.headers("ana"))
    assert missing.status_code == 404


async def test_recording_pauses_for_card_data_and_is_kept_ninety_days(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    caller, call, _ = await connected_call(center, carrier)
    conference = caller.conference()
    assert conference is not None and conference.attrib["record"] == "record-from-start"
    recording = center.twilio.add_recording(call.conference_sid or "", caller.call_sid)
    callback = conference.attrib["recordingStatusCallback"]
    await carrier.post(
        callback,
        {
            "RecordingSid": recording["sid"],
            "RecordingStatus": "in-progress",
            "RecordingUrl": f"https://api.twilio.com/Recordings/{recording['sid']}",
            "ConferenceSid": call.conference_sid or "",
        },
    )
    headers = center.headers("ana")
    paused = await client.post(f"/api/calls/{call.sid}/recording/pause", headers=headers)
    assert paused.status_code == 200, paused.text
    assert paused.json()["recording"] == "paused"
    await center.twilio.arrived(lambda r: r.path.endswith(f"/Recordings/{recording['sid']}.json"))
    assert center.twilio.recordings[recording["sid"]]["status"] == "paused"
    resumed = await client.post(f"/api/calls/{call.sid}/recording/resume", headers=headers)
    assert resumed.json()["recording"] == "on"
    await center.twilio.arrived(
        lambda r: (
            r.path.endswith(f"/Recordings/{recording['sid']}.json")
            and r.value("Status") == "in-progress"
        )
    )
    [kept] = resumed.json()["recordings"]
    assert kept["sid"] == recording["sid"]
    assert kept["url"].endswith(recording["sid"])


async def test_recordings_past_retention_are_deleted_at_the_carrier(
    center: ContactCenter, carrier: Carrier
) -> None:
    caller, call, _ = await connected_call(center, carrier)
    fake = center.twilio.add_recording(call.conference_sid or "", caller.call_sid)
    async with center.runtime.sessions() as session:
        now = utcnow()
        session.add(
            Recording(
                sid=fake["sid"],
                voice_call_sid=call.sid,
                kind="call",
                url="https://api.twilio.com/x",
                status="completed",
                created_at=now - timedelta(days=91),
                retain_until=now - timedelta(days=1),
            )
        )
        young = center.twilio.add_recording(call.conference_sid or "", caller.call_sid)
        session.add(
            Recording(
                sid=young["sid"],
                voice_call_sid=call.sid,
                created_at=now,
                retain_until=now + timedelta(days=89),
            )
        )
        await session.commit()
    assert await jobs.purge_recordings(center.runtime) == 1
    await center.twilio.arrived(lambda r: r.method == "DELETE" and fake["sid"] in r.path)
    assert fake["sid"] not in center.twilio.recordings
    assert young["sid"] in center.twilio.recordings
    kept = {r.sid: r for r in await center.recordings()}
    assert kept[fake["sid"]].deleted_at is not None and kept[fake["sid"]].url is None
    assert kept[young["sid"]].deleted_at is None
    async with center.runtime.sessions() as session:
        await session.execute(update(Recording).values(retain_until=utcnow() + timedelta(days=1)))
        await session.commit()
    assert await jobs.purge_recordings(center.runtime) == 0


async def test_adding_a_third_party_dials_them_into_the_conference(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    caller, call, _ = await connected_call(center, carrier)
    bad = await client.post(
        f"/api/calls/{call.sid}/participants", json={"number": "12"}, headers=center.headers("ana")
    )
    assert bad.status_code == 422
    added = await client.post(
        f"/api/calls/{call.sid}/participants",
        json={"number": "(11) 3333-4444"},
        headers=center.headers("ana"),
    )
    assert added.status_code == 200, added.text
    [dial] = await center.participant_requests("third_party")
    assert dial.value("To") == "+551133334444"
    assert dial.value("From") == caller.to


async def test_click_to_call_rings_the_agent_first_then_the_customer(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    await center.set_available("ana")
    placed = await client.post(
        "/api/calls", json={"to": "11 98888-7777"}, headers=center.headers("ana")
    )
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["direction"] == "outbound" and body["protocol"]
    task = await center.task(body["task_sid"])
    attributes = json.loads(task.attributes)
    assert attributes["direction"] == "outbound"
    assert attributes["target_worker"] == center.workers["ana"]
    assert attributes["to"] == "+5511988887777"

    [agent_call] = await center.twilio.arrived(lambda r: r.operation.endswith("/Calls.json"))
    assert agent_call.value("To") == "client:ana"
    assert agent_call.value("From") == "+551140040000"
    assert (await center.task(body["task_sid"])).assignment_status == "assigned"
    agent = await carrier.answer_outbound(agent_call)
    await agent.enter_conference()
    [customer] = await center.participant_requests("customer")
    assert customer.value("To") == "+5511988887777"
    assert customer.value("From") == "+551140040000"
    await carrier.answer_participant(customer)
    call = await center.wait_call(lambda c: c.stage == "connected", body["sid"])
    assert call.worker_sid == center.workers["ana"]

    nobody = await client.post(
        "/api/calls", json={"to": "11 98888-7777"}, headers=center.headers("supervisor")
    )
    assert nobody.status_code == 403


async def test_softphone_token_carries_a_voice_grant_for_the_agents_identity(
    center: ContactCenter, client: httpx.AsyncClient
) -> None:
    response = await client.get("/api/voice/token", headers=center.headers("ana"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["identity"] == "ana"
    claims = jwt.decode(body["token"], center.twilio.auth_token, algorithms=["HS256"])
    assert claims["grants"]["identity"] == "ana"
    assert claims["grants"]["voice"]["incoming"]["allow"] is True
    assert claims["iss"] == center.twilio.account_sid


async def test_wrap_up_needs_a_known_disposition_and_the_call_over(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    caller, call, _ = await connected_call(center, carrier)
    headers = center.headers("ana")
    live = await client.post(f"/api/calls/{call.sid}/wrapup", json={}, headers=headers)
    assert live.status_code == 409
    await caller.hang_up()
    codes = (await client.get("/api/voice/dispositions", headers=headers)).json()
    wrapped = await client.post(
        f"/api/calls/{call.sid}/wrapup",
        json={"disposition": codes[-1], "notes": "ligar amanhã"},
        headers=headers,
    )
    assert wrapped.status_code == 200
    assert (wrapped.json()["stage"], wrapped.json()["disposition"]) == ("wrapup", codes[-1])
    done = await client.post(f"/api/calls/{call.sid}/complete", json={}, headers=headers)
    assert done.status_code == 200 and done.json()["stage"] == "ended"
    assert (await center.task(call.task_sid or "")).assignment_status == "completed"


def test_voice_policy_comes_from_the_environment_and_keeps_recordings_ninety_days() -> None:
    config = VoiceConfig.from_env(
        {
            "ATENDE_VOICE_SHORT_ABANDON_SECONDS": "7",
            "ATENDE_VOICE_RECORDING_RETENTION_DAYS": "180",
            "ATENDE_VOICE_DISPOSITIONS": "venda, retorno ,",
        }
    )
    assert (config.short_abandon_seconds, config.recording_retention_days) == (7, 180)
    assert config.dispositions == ("venda", "retorno")
    assert VoiceConfig.from_env({}).recording_retention_days == 90
    with pytest.raises(ValueError, match="90"):
        VoiceConfig.from_env({"ATENDE_VOICE_RECORDING_RETENTION_DAYS": "30"})


async def test_click_to_call_and_transfers_need_a_workflow_that_can_target_an_agent(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    _, call, _ = await connected_call(center, carrier)
    plain = {"task_routing": {"default_filter": {"queue": center.general_queue}}}
    async with center.runtime.sessions() as session:
        await TaskRouterService(session, center.runtime).update_workflow(
            center.workspace_sid, center.workflow_sid, configuration=json.dumps(plain)
        )
        await session.commit()
    placed = await client.post(
        "/api/calls", json={"to": "11 98888-7777"}, headers=center.headers("ana")
    )
    assert placed.status_code == 409
    assert "transfer_filters" in placed.json()["detail"]
    moved = await client.post(
        f"/api/calls/{call.sid}/transfer",
        json={"worker_sid": center.workers["bruno"]},
        headers=center.headers("ana"),
    )
    assert moved.status_code == 409
    assert len(await center.tasks()) == 1
