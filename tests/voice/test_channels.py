"""Voice channels: configured from the environment or by administrators, flows validated."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import httpx
from fastapi import FastAPI

from atende.app import create_app
from atende.config import Settings
from atende.flows.default import default_flow
from atende.flows.runner import FlowRunner
from atende.voice.repository import VoiceRepository
from tests.support.http_receiver import http_receiver
from tests.voice.carrier import Carrier
from tests.voice.conftest import ContactCenter

NEW_CHANNEL = {
    "name": "Vendas",
    "phone_number": "+551130030000",
    "account_sid": "AC" + "a" * 32,
    "auth_token": "segredo-do-twilio",
}


async def test_admins_add_channels_and_bad_flows_are_refused_naming_the_field(
    center: ContactCenter, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    agent = await client.post(
        "/api/voice/channels", json=NEW_CHANNEL, headers=center.headers("ana")
    )
    assert agent.status_code == 403
    flow = default_flow("voice")
    del flow["nodes"]["menu_principal"]["options"][6]  # no complaint option: against SAC rules
    refused = await client.post(
        "/api/voice/channels", json={**NEW_CHANNEL, "flow": flow}, headers=admin_headers
    )
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("flow.nodes.menu_principal.options")
    created = await client.post(
        "/api/voice/channels",
        json={**NEW_CHANNEL, "workflow_sid": center.workflow_sid},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["workspace_sid"] == center.workspace_sid
    assert "auth_token" not in body
    again = await client.post("/api/voice/channels", json=NEW_CHANNEL, headers=admin_headers)
    assert again.status_code == 409
    patched = await client.patch(
        f"/api/voice/channels/{body['sid']}", json={"language": "en"}, headers=admin_headers
    )
    assert patched.json()["language"] == "en"
    listed = await client.get("/api/voice/channels", headers=admin_headers)
    assert {c["phone_number"] for c in listed.json()} == {"+551140040000", "+551130030000"}


async def test_a_channels_crm_lookup_answer_lands_in_the_task(
    center: ContactCenter,
    carrier: Carrier,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    with http_receiver() as crm:
        crm.reply_body = json.dumps({"nome": "Maria Silva", "apolices": 2}).encode()
        await client.patch(
            f"/api/voice/channels/{center.channel_sid}",
            json={"crm_lookup_url": crm.url + "/clientes?telefone={from}"},
            headers=admin_headers,
        )
        caller = await carrier.dial_in()
        assert crm.requests[0].path == "/clientes?telefone=%2B5511987654321"
    await caller.press("7")
    call = await center.call()
    attributes = json.loads((await center.task(call.task_sid or "")).attributes)
    assert attributes["crm"] == {"nome": "Maria Silva", "apolices": 2}
    assert attributes["motivo"] == "reclamacao"
    assert call.attributes["crm_found"] is True


async def test_a_slow_crm_holds_up_only_its_own_call(
    center: ContactCenter,
    carrier: Carrier,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    """The lookup is made before the webhook's transaction: while the CRM takes its time over
    one caller, other callers are answered and stored."""
    asked, released = asyncio.Event(), asyncio.Event()

    async def crm(request: httpx.Request) -> httpx.Response:
        if "11911110000" in str(request.url):
            asked.set()
            await released.wait()
        return httpx.Response(200, json={"nome": "Maria Silva"})

    runner: FlowRunner = center.runtime.services["voice.flow_runner"]
    await client.patch(
        f"/api/voice/channels/{center.channel_sid}",
        json={"crm_lookup_url": "https://crm.example/clientes?telefone={from}"},
        headers=admin_headers,
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(crm)) as http:
        runner.http = http
        slow = asyncio.create_task(carrier.dial_in(from_="+5511911110000"))
        await asyncio.wait_for(asked.wait(), 10)
        other = await asyncio.wait_for(carrier.dial_in(from_="+5511922220000"), 10)
        assert not slow.done()
        assert [c.customer_number for c in await center.calls()] == ["+5511922220000"]
        assert other.twiml is not None and other.twiml.find(".//Gather") is not None
        released.set()
        await asyncio.wait_for(slow, 10)
    answered = {c.customer_number: c for c in await center.calls()}
    state = answered["+5511911110000"].flow_state or {}
    assert state["attributes"]["crm"] == {"nome": "Maria Silva"}


def _lookup_after_the_menu(crm_url: str) -> dict[str, object]:
    """The default flow, with the CRM asked after the caller's menu answer."""
    flow = default_flow("voice", crm_url)
    nodes = flow["nodes"]
    nodes["horario"]["open"] = "menu_principal"
    for option in nodes["menu_principal"]["options"]:
        option["next"] = "consulta_crm"
    nodes["consulta_crm"]["next"] = "fila"
    nodes["consulta_crm"]["timeout"] = 5.0
    return flow


async def test_a_slow_crm_after_the_menu_does_not_hold_up_other_calls(
    center: ContactCenter,
    carrier: Carrier,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    """The lookup a menu answer leads to is made before that webhook's transaction: while a
    real (slow) CRM server takes its time over one caller's answer, another caller's call is
    answered and stored, and the first caller's answer still carries the CRM's data."""
    with http_receiver() as crm:
        crm.reply_body = json.dumps({"nome": "Maria Silva"}).encode()
        patched = await client.patch(
            f"/api/voice/channels/{center.channel_sid}",
            json={"flow": _lookup_after_the_menu(crm.url + "/clientes?telefone={from}")},
            headers=admin_headers,
        )
        assert patched.status_code == 200, patched.text
        first = await carrier.dial_in(from_="+5511911110000")
        assert not crm.requests  # nothing looked up before the menu
        crm.delay = 2.0
        pressed = asyncio.create_task(first.press("7"))
        await asyncio.to_thread(crm.wait_for, 1)
        other = await asyncio.wait_for(carrier.dial_in(from_="+5511922220000"), 10)
        assert not pressed.done(), "the CRM answered before the other call got through"
        assert other.gather() is not None
        assert {c.customer_number for c in await center.calls()} == {
            "+5511911110000",
            "+5511922220000",
        }
        await asyncio.wait_for(pressed, 10)
    assert first.conference() is not None
    answered = {c.customer_number: c for c in await center.calls()}
    attributes = json.loads(
        (await center.task(answered["+5511911110000"].task_sid or "")).attributes
    )
    assert attributes["crm"] == {"nome": "Maria Silva"}
    assert attributes["motivo"] == "reclamacao"


async def test_the_environment_configures_a_channel_into_the_default_workflow(
    center: ContactCenter, settings: Settings
) -> None:
    env_settings = dataclasses.replace(
        settings,
        twilio_account_sid="AC" + "b" * 32,
        twilio_auth_token="token-do-ambiente",
        twilio_number="+551120020000",
        default_workflow_sid=center.workflow_sid,
    )
    second: FastAPI = create_app(env_settings, migrate=False)
    runtime = second.state.runtime
    async with second.router.lifespan_context(second), runtime.sessions() as session:
        channel = await VoiceRepository(session).channel_by_number("+551120020000")
    assert channel is not None
    assert channel.workflow_sid == center.workflow_sid
    assert channel.workspace_sid == center.workspace_sid
    assert channel.account_sid == "AC" + "b" * 32
