"""Each registered WhatsApp number runs its own bot flow: the sales number goes straight to the
auto-insurance quote's questions, the customer-service number greets with its own full menu,
and the environment's number keeps the default chat flow. A conversation keeps its number's
flow on every turn, after a node restart too; typing cancellation at a sales question still
leads to cancellation (SAC). A number whose flow is changed is answered with the new one."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from atende.app import create_app
from atende.config import Settings
from atende.messaging.bot_flow import chat_flow_document
from atende.messaging.hub import MessagingHub
from atende.taskrouter import models as tr
from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.twilio_messages import FakeTwilioMessages
from tests.messaging import meta_payloads as meta
from tests.messaging.conftest import drain, messaging_settings, post_meta, prepare
from tests.messaging.test_taskrouter_routing import Center, build_center
from tests.messaging.test_whatsapp_numbers import (
    CLAIMS_ID,
    CLAIMS_TOKEN,
    SALES_ID,
    SALES_TOKEN,
    conversation_with,
    register,
    register_sales,
    to_number,
)

SALES_GREETING = "Olá! Vamos cotar seu seguro auto. Qual é a placa do carro?"
SERVICE_GREETING = "Central de Atendimento ao Cliente. Seu protocolo é {protocol}."
DEFAULT_GREETING = "Olá! Seu número de protocolo é"


def sales_flow() -> dict[str, Any]:
    """Straight to the quote's questions, then a broker; cancellation and complaint stay in
    its menu, where typing them at any question leads."""
    broker = "corretor"
    return {
        "name": "vendas-auto",
        "start": "placa",
        "nodes": {
            "placa": {
                "type": "question",
                "attribute": "placa",
                "prompt": SALES_GREETING,
                "next": "ano",
            },
            "ano": {
                "type": "question",
                "attribute": "ano_modelo",
                "prompt": "E qual é o ano do modelo?",
                "next": "seguir",
            },
            "seguir": {
                "type": "menu",
                "attribute": "motivo",
                "prompt": "Obrigado! Como seguimos?",
                "on_failure": broker,
                "options": [
                    {
                        "key": "1",
                        "value": "cotacao_auto",
                        "label": "Receber a cotação",
                        "next": broker,
                    },
                    {
                        "key": "6",
                        "value": "cancelamento",
                        "intent": "cancellation",
                        "label": "Cancelamento",
                        "next": broker,
                    },
                    {
                        "key": "7",
                        "value": "reclamacao",
                        "intent": "complaint",
                        "label": "Reclamação",
                        "next": broker,
                    },
                ],
            },
            broker: {"type": "handoff", "text": "Um corretor já vai falar com você."},
        },
    }


def service_flow() -> dict[str, Any]:
    """The full menu, greeting as the customer-service line."""
    document = chat_flow_document()
    document["name"] = "sac"
    document["nodes"]["saudacao"]["text"] = SERVICE_GREETING
    return document


def texts_to(graph: FakeGraphAPI, phone_number_id: str) -> list[str]:
    """What the bot said from this number, in order (text or interactive body)."""
    said = []
    for sent in graph.sent:
        if sent.phone_number_id != phone_number_id:
            continue
        body = sent.body
        said.append(
            body["text"]["body"] if body["type"] == "text" else body["interactive"]["body"]["text"]
        )
    return said


async def task_attributes(app: FastAPI, task_sid: str | None) -> dict[str, Any]:
    async with app.state.runtime.sessions() as session:
        task = await session.get(tr.Task, task_sid)
        assert task is not None
        attributes: dict[str, Any] = json.loads(task.attributes)
        return attributes


@pytest.fixture
async def center(app: FastAPI, hub: MessagingHub) -> Center:
    return await build_center(app)


async def register_both(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    await register_sales(client, headers, flow=sales_flow())
    await register(
        client,
        headers,
        name="SAC",
        phone_number_id=CLAIMS_ID,
        display_phone_number="+551130040002",
        access_token=CLAIMS_TOKEN,
        flow=service_flow(),
    )


async def test_each_number_greets_with_its_own_flow_and_keeps_it_across_turns(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    center: Center,
    admin_headers: dict[str, str],
) -> None:
    graph.number_tokens = {SALES_ID: SALES_TOKEN, CLAIMS_ID: CLAIMS_TOKEN}
    await register_both(client, admin_headers)
    customers = {SALES_ID: "5511911110001", CLAIMS_ID: "5511922220002"}
    customers[meta.PHONE_NUMBER_ID] = "5511933330003"
    for number, wa_id in customers.items():
        await post_meta(client, to_number(meta.text(f"wamid.{number}.1", "Oi"), number, wa_id))
    await drain(hub)

    assert texts_to(graph, SALES_ID) == [SALES_GREETING]
    service = await conversation_with(app, CLAIMS_ID)
    said = texts_to(graph, CLAIMS_ID)
    assert said[0] == f"Central de Atendimento ao Cliente. Seu protocolo é {service.protocol}."
    assert said[1] == "Como podemos ajudar? Escolha uma opção."
    default = texts_to(graph, meta.PHONE_NUMBER_ID)
    assert default[0].startswith(DEFAULT_GREETING)
    assert not any(SALES_GREETING in text or "Central" in text for text in default)

    # The sales conversation goes on in its own flow: the next question, then its menu.
    sales_customer = customers[SALES_ID]
    await post_meta(client, to_number(meta.text("wamid.S2", "ABC1D23"), SALES_ID, sales_customer))
    await drain(hub)
    assert texts_to(graph, SALES_ID)[-1] == "E qual é o ano do modelo?"
    await post_meta(client, to_number(meta.text("wamid.S3", "2022"), SALES_ID, sales_customer))
    await drain(hub)
    assert texts_to(graph, SALES_ID)[-1] == "Obrigado! Como seguimos?"
    choice = meta.button_reply("wamid.S4", "cotacao_auto", "Receber a cotação")
    await post_meta(client, to_number(choice, SALES_ID, sales_customer))
    await drain(hub)
    assert texts_to(graph, SALES_ID)[-1] == "Um corretor já vai falar com você."
    sales = await conversation_with(app, SALES_ID)
    assert sales.state != "bot"
    answers = await task_attributes(app, sales.task_sid)
    assert (answers["placa"], answers["ano_modelo"], answers["motivo"]) == (
        "ABC1D23",
        "2022",
        "cotacao_auto",
    )


async def test_a_conversation_keeps_its_numbers_flow_after_a_restart(
    app: FastAPI,
    settings: Settings,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    twilio_api: FakeTwilioMessages,
    center: Center,
    admin_headers: dict[str, str],
) -> None:
    graph.number_tokens = {SALES_ID: SALES_TOKEN, CLAIMS_ID: CLAIMS_TOKEN}
    await register_both(client, admin_headers)
    customer = "5511944440004"
    await post_meta(client, to_number(meta.text("wamid.R1", "Oi"), SALES_ID, customer))
    await drain(hub)
    assert texts_to(graph, SALES_ID) == [SALES_GREETING]

    # Another node (or this one restarted) takes the next message: it reads the number's flow
    # from the database and goes on from the question the conversation waits at.
    restarted = create_app(messaging_settings(settings, graph, twilio_api), migrate=False)
    async with restarted.router.lifespan_context(restarted):
        other = prepare(restarted.state.runtime.services["messaging"])
        transport = httpx.ASGITransport(app=restarted)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            await post_meta(http, to_number(meta.text("wamid.R2", "XYZ9K88"), SALES_ID, customer))
            await drain(other)
            assert texts_to(graph, SALES_ID)[-1] == "E qual é o ano do modelo?"
            # Cancellation typed at a question leads to the sales menu's cancellation (SAC).
            cancel = to_number(meta.text("wamid.R3", "Cancelamento"), SALES_ID, customer)
            await post_meta(http, cancel)
            await drain(other)
    assert texts_to(graph, SALES_ID)[-1] == "Um corretor já vai falar com você."
    conversation = await conversation_with(app, SALES_ID)
    answers = await task_attributes(app, conversation.task_sid)
    assert (answers["placa"], answers["motivo"]) == ("XYZ9K88", "cancelamento")


async def test_a_changed_flow_answers_the_next_conversation_and_none_is_the_default(
    app: FastAPI,
    client: httpx.AsyncClient,
    hub: MessagingHub,
    graph: FakeGraphAPI,
    center: Center,
    admin_headers: dict[str, str],
) -> None:
    graph.number_tokens = {SALES_ID: SALES_TOKEN}
    number = await register_sales(client, admin_headers)
    await post_meta(client, to_number(meta.text("wamid.C1", "Oi"), SALES_ID, "5511955550005"))
    await drain(hub)
    assert texts_to(graph, SALES_ID)[0].startswith(DEFAULT_GREETING)

    changed = await client.patch(
        f"/api/whatsapp/numbers/{number['sid']}", json={"flow": sales_flow()}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["flow"]["name"] == "vendas-auto"
    before = len(graph.sent)
    second = meta.text("wamid.C2", "Oi", user_id="BR.2")
    await post_meta(client, to_number(second, SALES_ID, "5511966660006"))
    await drain(hub)
    assert texts_to(graph, SALES_ID)[-1] == SALES_GREETING and len(graph.sent) == before + 1

    # The first customer's conversation waited at the default menu, which the new flow has
    # not: it starts the number's new flow rather than failing.
    again = to_number(meta.text("wamid.C3", "1"), SALES_ID, "5511955550005")
    await post_meta(client, again)
    await drain(hub)
    assert texts_to(graph, SALES_ID)[-1] == SALES_GREETING

    cleared = await client.patch(
        f"/api/whatsapp/numbers/{number['sid']}", json={"flow": None}, headers=admin_headers
    )
    assert cleared.status_code == 200 and cleared.json()["flow"] is None
    third = meta.text("wamid.C4", "Oi", user_id="BR.3")
    await post_meta(client, to_number(third, SALES_ID, "5511977770007"))
    await drain(hub)
    assert texts_to(graph, SALES_ID)[-2].startswith(DEFAULT_GREETING)
