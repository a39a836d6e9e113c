"""The agent desktop in a real Chromium: an agent signs in, a customer writes on WhatsApp and
picks a reason in the bot's menu, the offer rings on the desk, the agent accepts, replies (and
sees the delivery ticks move), wraps up with a disposition; and after the laptop's network
drops, the page comes back by itself showing exactly the work held."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from atende.conversations.models import Conversation
from atende.taskrouter import models as tr
from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in
from tests.messaging import meta_payloads as meta

pytestmark = [pytest.mark.e2e, needs_chromium]


def customer_asks_for_a_quote(desk: Desk, prefix: str, wa_id: str = meta.CUSTOMER_WA_ID) -> None:
    desk.customer_writes(meta.text(f"{prefix}1", "Oi, quero cotar seguro do carro", wa_id=wa_id))
    reply = meta.list_reply(f"{prefix}2", "cotacao_auto", "Cotação de seguro auto")
    value = reply["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = value["messages"][0]["from"] = wa_id
    desk.customer_writes(reply)
    desk.customer_writes(meta.text(f"{prefix}3", "ABC1D23", wa_id=wa_id))


def go_available(page: Page) -> None:
    page.get_by_label("Status", exact=True).select_option(label="Disponível")
    expect(page.locator("#activity-dot")).to_have_class(re.compile("available"))


async def _closed(desk: Desk, task_sid: str) -> tuple[str, str | None, str | None]:
    """The task's status and its conversation's state and disposition, as stored."""
    async with desk.server.app.state.runtime.sessions() as session:
        task = await session.get(tr.Task, task_sid)
        assert task is not None
        conversation_sid = json.loads(task.attributes)["conversation_sid"]
        conversation = await session.get(Conversation, conversation_sid)
        assert conversation is not None
        return task.assignment_status, conversation.state, conversation.disposition


def test_an_agent_serves_a_whatsapp_customer_end_to_end(desk: Desk, browser: Browser) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk, "ana", shot="login")
    expect(page).to_have_url(f"{desk.url}/agent")
    expect(page.get_by_role("heading", name="Meus atendimentos")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Conectado")
    go_available(page)
    screenshot(page, "agent-idle")

    customer_asks_for_a_quote(desk, "wamid.E2E")
    offer = page.locator(".offer")
    expect(offer).to_contain_text("Novo WhatsApp")
    expect(offer).to_contain_text("Vendas Auto")
    assert int(page.locator("body").get_attribute("data-beeps") or 0) >= 1
    screenshot(page, "agent-offer")

    offer.get_by_role("button", name="Aceitar").click()
    expect(page.locator(".offer")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("quero cotar seguro do carro")
    expect(page.locator("#window-banner")).to_contain_text("Janela do WhatsApp aberta")
    expect(page.locator("#protocol")).to_have_text(re.compile(r"^\d{14}$"))

    page.locator("#canned").select_option(label="Saudação")
    expect(page.locator("#reply")).to_have_value(re.compile("^Olá, .*Sou Ana"))
    page.locator("#reply").fill("Olá! Vou preparar sua cotação agora.")
    page.get_by_role("button", name="Enviar").click()
    sent = page.locator(".message.outbound", has_text="Vou preparar sua cotação")
    expect(sent).to_be_visible()
    delivered = desk.graph.wait_for_sent(3)
    wamid = next(
        m.wamid for m in delivered if "Vou preparar" in str(m.body.get("text", {}).get("body"))
    )
    desk.customer_writes(meta.status(wamid, "delivered"))
    expect(sent.locator(".ticks")).to_have_attribute("data-status", "delivered")
    desk.customer_writes(meta.status(wamid, "read"))
    expect(sent.locator(".ticks")).to_have_attribute("data-status", "read")
    screenshot(page, "agent-conversation")

    task_sid = page.locator(".work-item").first.get_attribute("data-task")
    assert task_sid is not None
    page.get_by_role("button", name="Encerrar atendimento").click()
    expect(page.get_by_role("heading", name="Pós-atendimento")).to_be_visible()
    page.get_by_role("button", name="Concluir atendimento").click()
    expect(page.get_by_role("alert")).to_contain_text("Escolha o resultado")
    page.get_by_label("Cotação enviada").check()
    page.get_by_label("Observações (opcional)").fill("Cliente pediu retorno por WhatsApp.")
    screenshot(page, "agent-wrapup")
    page.get_by_role("button", name="Concluir atendimento").click()
    expect(page.locator("#work-empty")).to_be_visible()
    assert desk.server.call(_closed(desk, task_sid)) == ("completed", "closed", "cotacao_enviada")
    context.close()
