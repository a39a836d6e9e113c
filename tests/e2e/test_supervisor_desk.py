"""The supervisor's screen in a real Chromium: queue figures and the team change by push as
work arrives and agents change status, with a thousand agents listed and filtered; a chat an
agent is serving can be read as it goes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from atende.taskrouter import models as tr
from atende.taskrouter.service import TaskRouterService
from tests.desk.contact_center import add_workers, create_task, set_activity
from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in
from tests.e2e.test_agent_desk import customer_asks_for_a_quote, customer_says

pytestmark = [pytest.mark.e2e, needs_chromium]


def test_a_supervisor_sees_the_numbers_change(desk: Desk, browser: Browser) -> None:
    app = desk.server.app
    desk.server.call(add_workers(app.state.runtime, desk.center, 1000))
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk, "supervisora")
    expect(page).to_have_url(f"{desk.url}/supervisor")
    expect(page.locator("#connection")).to_have_text("Conectado")
    vida = page.locator("#queues-table tbody tr", has_text="Vendas Vida")
    expect(vida.locator("[data-field=waiting]")).to_have_text("0")
    expect(page.locator("#team-count")).to_have_text(re.compile(r"^1\.003 de 1\.003 agentes$"))

    desk.server.call(create_task(app, desk.center, {"motivo": "cotacao_vida", "name": "Rita"}))
    expect(vida.locator("[data-field=waiting]")).to_have_text("1")
    expect(page.locator("#tile-waiting")).to_have_text("1")

    ana = page.locator("#team-table tbody tr", has_text="Ana Souza")
    expect(ana).to_contain_text("Offline")
    desk.server.call(set_activity(app, desk.center, "ana", "Disponível"))
    expect(ana).to_contain_text("Disponível")

    page.get_by_label("Habilidade").select_option("ouvidoria")
    expect(page.locator("#team-count")).to_have_text("1 de 1.003 agentes")
    expect(page.locator("#team-table tbody tr:visible")).to_have_count(1)
    page.get_by_label("Habilidade").select_option("")
    page.get_by_label("Buscar agente").fill("Agente 000")
    expect(page.locator("#team-table tbody tr:visible")).to_have_count(10)
    page.get_by_label("Buscar agente").fill("")
    screenshot(page, "supervisor")

    ana.get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Mudar status para").select_option(label="Pausa")
    dialog.get_by_role("button", name="Aplicar").click()
    expect(ana).to_contain_text("Pausa")
    context.close()


def test_a_supervisor_reads_a_live_chat(desk: Desk, browser: Browser) -> None:
    app = desk.server.app
    desk.server.call(set_activity(app, desk.center, "ana", "Disponível"))
    customer_asks_for_a_quote(desk, "wamid.L")
    reservation = desk.eventually(lambda: _pending_reservation(desk))
    assert reservation is not None
    desk.server.call(_accept(desk, reservation))
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk, "supervisora")
    ana = page.locator("#team-table tbody tr", has_text="Ana Souza")
    expect(ana).to_contain_text("WhatsApp · Vendas Auto")
    ana.get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Ler conversa").click()
    chat = dialog.get_by_role("log")
    expect(chat).to_contain_text("ABC1D23")
    customer_says(desk, "wamid.L9", "Consegue um desconto?")
    expect(chat).to_contain_text("Consegue um desconto?")
    screenshot(page, "supervisor-chat")
    context.close()


async def _pending_reservation(desk: Desk) -> str | None:
    async with desk.server.app.state.runtime.sessions() as session:
        query = select(tr.Reservation.sid).where(tr.Reservation.reservation_status == "pending")
        sid: str | None = await session.scalar(query)
        return sid


async def _accept(desk: Desk, reservation_sid: str) -> None:
    async with desk.server.app.state.runtime.sessions() as session:
        service = TaskRouterService(session, desk.server.app.state.runtime)
        await service.accept_reservation(desk.center.workspace_sid, reservation_sid)
        await session.commit()
