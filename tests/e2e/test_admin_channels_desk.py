"""Voice channels in the admin screen, in a real Chromium: an administrator adds a Twilio
number (a wrong number is refused beside the form, naming the field), sees it listed, edits it
and replaces its Auth Token; the stored token never reaches the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from atende.voice.repository import VoiceRepository
from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in

pytestmark = [pytest.mark.e2e, needs_chromium]

TOKEN = "token-secreto-da-twilio"
NEW_TOKEN = "token-novo-da-twilio"
KEY_SECRET = "segredo-da-chave-de-api"


def stored_token(desk: Desk, number: str) -> str:
    async def read() -> str:
        async with desk.server.app.state.runtime.sessions() as session:
            channel = await VoiceRepository(session).channel_by_number(number)
            assert channel is not None
            return channel.auth_token

    return desk.server.call(read())


def no_secret_in(page: Page) -> None:
    html = page.content()
    values = page.locator("input").evaluate_all("inputs => inputs.map(input => input.value)")
    for secret in (TOKEN, NEW_TOKEN, KEY_SECRET):
        assert secret not in html and secret not in values


def test_an_administrator_adds_and_edits_a_voice_channel(desk: Desk, browser: Browser) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk, "admin")
    expect(page).to_have_url(f"{desk.url}/admin")
    page.get_by_role("link", name="Canais e credenciais").click()
    form = page.locator("#voice-new-form")
    expect(form).to_be_visible()
    expect(form.get_by_label("Fluxo de roteamento")).to_have_value(desk.center.workflow_sid)

    form.get_by_label("Canal").fill("Vendas Auto")
    form.get_by_label("Número da empresa").fill("11 3003-0000")
    form.get_by_label("Account SID da Twilio").fill("AC" + "b" * 32)
    form.get_by_label("Auth Token da Twilio").fill(TOKEN)
    form.get_by_label("Consulta ao CRM (opcional)").fill("https://crm.exemplo/c?telefone={from}")
    form.get_by_label("SID da chave de API").fill("SK" + "c" * 32)
    form.get_by_label("Segredo da chave de API").fill(KEY_SECRET)
    form.get_by_label("SID do TwiML App").fill("AP" + "d" * 32)
    form.get_by_role("button", name="Adicionar canal").click()
    error = page.locator("#voice-new-error")
    expect(error).to_contain_text("Número da empresa: use um número válido no formato E.164")
    expect(error).to_contain_text("'11 3003-0000'")
    number = form.get_by_label("Número da empresa")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_be_focused()
    screenshot(page, "admin-channels-error")

    number.fill("+551130030000")
    form.get_by_role("button", name="Adicionar canal").click()
    row = page.locator("tr", has_text="Vendas Auto")
    expect(row).to_contain_text("+551130030000")
    expect(row).to_contain_text("Atendimento")
    expect(row.get_by_role("cell", name="pt-BR", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="Sim", exact=True)).to_be_visible()
    assert stored_token(desk, "+551130030000") == TOKEN
    no_secret_in(page)
    screenshot(page, "admin-channels")

    # The same number again is refused, naming the field in pt-BR.
    form = page.locator("#voice-new-form")
    form.get_by_label("Canal").fill("Outra central")
    form.get_by_label("Número da empresa").fill("+55 11 3003-0000")
    form.get_by_label("Account SID da Twilio").fill("AC" + "e" * 32)
    form.get_by_label("Auth Token da Twilio").fill("outro-token-qualquer")
    form.get_by_role("button", name="Adicionar canal").click()
    expect(page.locator("#voice-new-error")).to_contain_text(
        "Número da empresa: este número já pertence a outro canal"
    )

    page.get_by_role("button", name="Editar o canal Vendas Auto").click()
    edit = page.locator("#voice-edit-form")
    expect(edit.get_by_label("Canal")).to_be_focused()
    expect(edit.get_by_label("Número da empresa")).to_be_disabled()
    expect(edit.get_by_label("Novo Auth Token")).to_have_value("")
    no_secret_in(page)
    edit.get_by_label("Canal").fill("Vendas Auto SP")
    edit.get_by_label("Idioma das mensagens").select_option("en")
    edit.get_by_label("Gravar as chamadas").uncheck()
    edit.get_by_label("Novo Auth Token").fill(NEW_TOKEN)
    edit.get_by_role("button", name="Salvar").click()

    row = page.locator("tr", has_text="Vendas Auto SP")
    expect(row).to_contain_text("+551130030000")
    expect(row.get_by_role("cell", name="en", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="Não", exact=True)).to_be_visible()
    assert stored_token(desk, "+551130030000") == NEW_TOKEN
    no_secret_in(page)

    # Saving again without a token keeps the one stored.
    page.get_by_role("button", name="Editar o canal Vendas Auto SP").click()
    page.locator("#voice-edit-form").get_by_role("button", name="Salvar").click()
    expect(page.locator("#voice-new-form")).to_be_visible()
    assert stored_token(desk, "+551130030000") == NEW_TOKEN
    no_secret_in(page)

    # In English, a short Account SID is named by its English label.
    page.get_by_role("button", name="EN", exact=True).click()
    page.get_by_role("link", name="Channels and credentials").click()
    form = page.locator("#voice-new-form")
    form.get_by_label("Channel", exact=True).fill("Sales")
    form.get_by_label("Company number").fill("+551140050000")
    form.get_by_label("Twilio Account SID").fill("AC123")
    form.get_by_label("Twilio Auth Token").fill("outro-token-qualquer")
    form.get_by_role("button", name="Add channel").click()
    expect(page.locator("#voice-new-error")).to_contain_text(
        "Twilio Account SID: the Account SID has 34 characters and starts with AC"
    )
    expect(form.get_by_label("Twilio Account SID")).to_be_focused()
    screenshot(page, "admin-channels-en")
    context.close()
