"""The agent desktop in a real Chromium: an agent signs in, a customer writes on WhatsApp and
picks a reason in the bot's menu, the offer rings on the desk, the agent accepts, replies (and
sees the delivery ticks move), wraps up with a disposition; and after the laptop's network
drops, the page comes back by itself showing exactly the work held."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from atende.conversations.models import Conversation
from atende.taskrouter import models as tr
from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in
from tests.messaging import meta_payloads as meta

pytestmark = [pytest.mark.e2e, needs_chromium]


MARIA = meta.CUSTOMER_WA_ID, "BR.1502576394655843", meta.CUSTOMER_NAME
JOAO = "5511977776666", "BR.7777666655554444", "João Lima"


def customer_says(desk: Desk, wamid: str, text: str, who: tuple[str, str, str] = MARIA) -> None:
    wa_id, user_id, name = who
    desk.customer_writes(meta.text(wamid, text, wa_id=wa_id, user_id=user_id, name=name))


def customer_asks_for_a_quote(desk: Desk, prefix: str, who: tuple[str, str, str] = MARIA) -> None:
    """Writes, picks "Seguro auto" in the bot's menu and answers the plate question."""
    wa_id, user_id, name = who
    customer_says(desk, f"{prefix}1", "Oi, quero cotar seguro do carro", who)
    choice = {"type": "list_reply", "list_reply": {"id": "cotacao_auto", "title": "Seguro auto"}}
    desk.customer_writes(
        meta.inbound(f"{prefix}2", "interactive", choice, wa_id=wa_id, user_id=user_id, name=name)
    )
    customer_says(desk, f"{prefix}3", "ABC1D23", who)


def sent_to_whatsapp(desk: Desk, text: str) -> str:
    """The WhatsApp id Meta gave the message carrying `text`, once it reached the fake."""
    deadline = time.monotonic() + 10
    while True:
        for message in desk.graph.sent:
            if text in str(message.body.get("text", {}).get("body")):
                return message.wamid
        assert time.monotonic() < deadline, f"{text!r} never reached WhatsApp"
        desk.graph.wait_for_sent(len(desk.graph.sent) + 1, timeout=1)


def go_available(page: Page) -> None:
    page.get_by_label("Status", exact=True).select_option(label="Disponível")
    expect(page.locator("#activity-dot")).to_have_class(re.compile("available"))


def ana_takes_a_quote(desk: Desk, browser: Browser, prefix: str) -> tuple[BrowserContext, Page]:
    """Ana signed in and available, with a customer's quote request accepted and open."""
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk, "ana")
    go_available(page)
    customer_asks_for_a_quote(desk, prefix)
    page.locator(".offer").get_by_role("button", name="Aceitar").click()
    expect(page.locator("#messages")).to_contain_text("quero cotar seguro do carro")
    return context, page


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
    expect(offer).to_contain_text("Novo atendimento (WhatsApp)")
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
    wamid = sent_to_whatsapp(desk, "Vou preparar")
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


def test_after_the_network_drops_the_desk_shows_exactly_the_work_held(
    desk: Desk, browser: Browser
) -> None:
    context, page = ana_takes_a_quote(desk, browser, "wamid.R")

    context.set_offline(True)
    expect(page.locator("#connection")).to_have_text("Sem conexão")
    # While the laptop is away: the customer writes again, and a second customer is routed.
    customer_says(desk, "wamid.R9", "Ainda está aí?")
    customer_asks_for_a_quote(desk, "wamid.S", JOAO)
    assert desk.eventually(lambda: _pending_offers(desk, desk.center.workers["ana"])) == 1
    expect(page.locator(".offer")).to_have_count(0)

    context.set_offline(False)
    expect(page.locator("#connection")).to_have_text("Conectado")
    expect(page.locator(".offer")).to_have_count(1)
    expect(page.locator("#messages")).to_contain_text("Ainda está aí?")
    expect(page.locator(".work-item")).to_have_count(1)
    screenshot(page, "agent-reconnected")
    context.close()


async def _pending_offers(desk: Desk, worker_sid: str) -> int:
    async with desk.server.app.state.runtime.sessions() as session:
        rows = await session.scalars(
            select(tr.Reservation).where(
                tr.Reservation.worker_sid == worker_sid,
                tr.Reservation.reservation_status == "pending",
            )
        )
        return len(rows.all())
