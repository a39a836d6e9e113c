"""Administration in a real Chromium: people and skills, a workflow checked as it is typed and
dry-run, a new wrap-up code; and the same screens in English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in

pytestmark = [pytest.mark.e2e, needs_chromium]


def test_an_administrator_checks_a_workflow_and_adds_a_disposition(
    desk: Desk, browser: Browser
) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk, "admin")
    expect(page).to_have_url(f"{desk.url}/admin")
    expect(page.locator("#admin-section")).to_contain_text("ana@corretora.com.br")
    screenshot(page, "admin-users")

    page.get_by_role("link", name="Fluxos de roteamento").click()
    editor = page.get_by_label("Configuração (JSON do TaskRouter)")
    expect(page.locator("#workflow-check")).to_have_text("Configuração válida.")
    original = editor.input_value()
    editor.fill(original.replace("motivo == 'cotacao_auto'", "motivo == "))
    expect(page.locator("#workflow-check")).to_have_text(
        re.compile(r"^task_routing\.filters\[\d+\]\.expression: .*'=='")
    )
    expect(editor).to_have_attribute("aria-invalid", "true")
    editor.fill(original)
    expect(page.locator("#workflow-check")).to_have_text("Configuração válida.")
    page.get_by_label("Atributos da tarefa").fill('{"motivo": "cotacao_vida"}')
    steps = page.locator("#dry-run-result li")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("só o agente indicado em task.known_worker_sid")
    expect(steps.nth(1)).to_contain_text("Vendas Vida")
    expect(steps.nth(2)).to_contain_text("Relacionamento")
    screenshot(page, "admin-workflow")

    page.get_by_role("link", name="Resultados de atendimento").click()
    page.get_by_label("Novo resultado").fill("Apólice emitida")
    page.get_by_role("button", name="Adicionar").click()
    expect(page.locator("#admin-section")).to_contain_text("apolice_emitida")
    screenshot(page, "admin-dispositions")

    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name="Administration", exact=True)).to_be_visible()
    page.get_by_role("link", name="Business hours and holidays").click()
    expect(page.locator("#admin-section")).to_contain_text("Public holidays of")
    screenshot(page, "admin-hours-en")
    context.close()
