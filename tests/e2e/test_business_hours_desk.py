"""An administrator sets the contact center's hours in a real Chromium: a day that closes before
it opens is refused naming the day; the fixed week is saved and the phone flow's out-of-hours
check uses it at once; a company holiday is added beside the public ones."""

from __future__ import annotations

import re
from datetime import time

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in

pytestmark = [pytest.mark.e2e, needs_chromium]


def test_an_administrator_sets_the_week_and_a_company_holiday(desk: Desk, browser: Browser) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk, "admin")
    page.goto(f"{desk.url}/admin#hours")
    expect(page.get_by_role("heading", name="Horário de atendimento")).to_be_visible()
    expect(page.locator("#hours-now")).to_contain_text("Horário padrão")
    expect(page.locator("#hours-opens-6")).to_be_disabled()  # Sunday starts closed

    page.get_by_label("Quarta-feira: Abre às").fill("18:00")
    page.get_by_label("Quarta-feira: Fecha às").fill("08:00")
    page.get_by_role("button", name="Salvar").click()
    expect(page.locator("#hours-error")).to_contain_text("days[2] (Wednesday): closes at 08:00")

    page.get_by_label("Quarta-feira: Abre às").fill("08:00")
    page.get_by_label("Quarta-feira: Fecha às").fill("18:00")
    page.locator("#hours-open-5").uncheck()  # Saturday closed
    page.get_by_role("button", name="Salvar").click()
    expect(page.locator("#toasts")).to_contain_text("Horário salvo")
    expect(page.locator("#hours-now")).to_have_text(re.compile("^(Aberto|Fechado) agora$"))
    runner = desk.server.app.state.runtime.services["voice.flow_runner"]
    calendar = runner.calendars["atendimento"]
    assert calendar.hours_by_day[2] == (time(8), time(18))
    assert 5 not in calendar.hours_by_day
    expect(page.locator("#hours-opens-5")).to_be_disabled()

    page.get_by_label("Dia", exact=True).fill("2026-12-24")
    page.get_by_label("Nome", exact=True).fill("Véspera de Natal")
    page.get_by_role("button", name="Adicionar").click()
    expect(page.locator("#admin-section")).to_contain_text("24/12/2026")
    expect(page.locator("#admin-section")).to_contain_text("Véspera de Natal")
    screenshot(page, "admin-hours")
    page.locator("#closure-create").scroll_into_view_if_needed()
    screenshot(page, "admin-hours-closures")
    context.close()
