"""Channels in the admin screen, in a real Chromium: an administrator adds a Twilio number (a
wrong number is refused beside the form, naming the field), sees it listed, edits it and
replaces its Auth Token and softphone key; adds a WhatsApp number that a customer's message then
reaches and is answered from with its own token, gives it a bot flow of its own (one that hides
cancellation, or is not JSON, is refused under the flow box) that greets its next customer, and
disables it; removes (after confirming) a number never used, which goes away, and the used one,
which stays disabled for its history.
Stored secrets never reach the page."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from atende.messaging.models import WhatsAppNumber
from atende.messaging.repository import MessagingRepository
from atende.voice.models import VoiceChannel
from atende.voice.repository import VoiceRepository
from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in
from tests.messaging import meta_payloads as meta
from tests.messaging.test_whatsapp_number_flows import SALES_GREETING, sales_flow

pytestmark = [pytest.mark.e2e, needs_chromium]

TOKEN = "token-secreto-da-twilio"
NEW_TOKEN = "token-novo-da-twilio"
KEY_SECRET = "segredo-da-chave-de-api"
NEW_KEY_SECRET = "segredo-novo-da-chave-de-api"
WHATSAPP_TOKEN = "EAAG-token-do-numero-de-vendas-5d2e"
WHATSAPP_NEW_TOKEN = "EAAG-token-trocado-do-numero-8b41"
SALES_ID = "220011223344556"
SPARE_ID = "990011223344556"
Row = TypeVar("Row")


def stored(desk: Desk, find: Callable[[AsyncSession], Awaitable[Row | None]]) -> Row:
    """The row as the database holds it (secrets the page must not show), read on the server's
    loop."""

    async def read() -> Row:
        async with desk.server.app.state.runtime.sessions() as session:
            row = await find(session)
            assert row is not None
            return row

    return desk.server.call(read())


def stored_channel(desk: Desk, number: str) -> VoiceChannel:
    return stored(desk, lambda session: VoiceRepository(session).channel_by_number(number))


def stored_whatsapp_number(desk: Desk, phone_number_id: str) -> WhatsAppNumber:
    return stored(
        desk, lambda session: MessagingRepository(session).whatsapp_number_by_id(phone_number_id)
    )


def refused_beside(page: Page, form_prefix: str, label: str, why: str) -> Locator:
    """A refused form says why beside itself, naming the field, which it marks invalid and
    focuses for the correction; returns that field."""
    expect(page.locator(f"#{form_prefix}-error")).to_contain_text(f"{label}: {why}")
    field = page.locator(f"#{form_prefix}-form").get_by_label(label)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    return field


def greeting_to(desk: Desk, wa_id: str, timeout: float = 10.0) -> str:
    """The first text the bot sent this customer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sent in desk.graph.wait_for_sent(len(desk.graph.sent) + 1, timeout=0.2):
            if sent.body["to"] == wa_id:
                text: str = sent.body["text"]["body"]
                return text
    raise AssertionError(f"nothing sent to {wa_id}")


def fill_new_number(page: Page, name: str, number: str, number_id: str, token: str) -> Locator:
    """The form that registers a WhatsApp number, filled in; returned to be sent."""
    form = page.locator("#whatsapp-new-form")
    form.get_by_label("Canal").fill(name)
    form.get_by_label("Número de WhatsApp").fill(number)
    form.get_by_label("ID do número na Meta").fill(number_id)
    form.get_by_label("Token de acesso").fill(token)
    return form


def no_secret_in(page: Page) -> None:
    html = page.content()
    values = page.locator("input").evaluate_all("inputs => inputs.map(input => input.value)")
    secrets = (TOKEN, NEW_TOKEN, KEY_SECRET, NEW_KEY_SECRET, WHATSAPP_TOKEN, WHATSAPP_NEW_TOKEN)
    for secret in secrets:
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
    number = refused_beside(
        page, "voice-new", "Número da empresa", "use um número válido no formato E.164"
    )
    expect(page.locator("#voice-new-error")).to_contain_text("'11 3003-0000'")
    screenshot(page, "admin-channels-error")

    number.fill("+551130030000")
    form.get_by_role("button", name="Adicionar canal").click()
    row = page.locator("tr", has_text="Vendas Auto")
    expect(row).to_contain_text("+551130030000")
    expect(row).to_contain_text("Atendimento")
    expect(row.get_by_role("cell", name="pt-BR", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="Sim", exact=True)).to_be_visible()
    assert stored_channel(desk, "+551130030000").auth_token == TOKEN
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
    expect(edit.get_by_label("SID da chave de API")).to_have_value("SK" + "c" * 32)
    expect(edit.get_by_label("Novo segredo da chave de API")).to_have_value("")
    no_secret_in(page)
    edit.get_by_label("Canal").fill("Vendas Auto SP")
    edit.get_by_label("Idioma das mensagens").select_option("en")
    edit.get_by_label("Gravar as chamadas").uncheck()
    edit.get_by_label("Novo Auth Token").fill(NEW_TOKEN)
    edit.get_by_label("Novo segredo da chave de API").fill(NEW_KEY_SECRET)
    edit.get_by_role("button", name="Salvar").click()

    row = page.locator("tr", has_text="Vendas Auto SP")
    expect(row).to_contain_text("+551130030000")
    expect(row.get_by_role("cell", name="en", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="Não", exact=True)).to_be_visible()
    assert stored_channel(desk, "+551130030000").auth_token == NEW_TOKEN
    assert stored_channel(desk, "+551130030000").api_key_secret == NEW_KEY_SECRET
    no_secret_in(page)

    # Saving again without a token or a key secret keeps the ones stored.
    page.get_by_role("button", name="Editar o canal Vendas Auto SP").click()
    page.locator("#voice-edit-form").get_by_role("button", name="Salvar").click()
    expect(page.locator("#voice-new-form")).to_be_visible()
    assert stored_channel(desk, "+551130030000").auth_token == NEW_TOKEN
    assert stored_channel(desk, "+551130030000").api_key_secret == NEW_KEY_SECRET
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


def test_an_administrator_adds_a_whatsapp_number_that_answers_with_its_own_token(
    desk: Desk, browser: Browser
) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk, "admin")
    page.get_by_role("link", name="Canais e credenciais").click()
    form = page.locator("#whatsapp-new-form")
    expect(form).to_be_visible()
    expect(page.locator("tr", has_text="Nenhum número cadastrado ainda.")).to_be_visible()
    fill_new_number(page, "Vendas WhatsApp", "3004-0001", SALES_ID, WHATSAPP_TOKEN)
    form.get_by_label("Fluxo de roteamento").select_option(label="Atendimento")
    form.get_by_role("button", name="Cadastrar número").click()
    number = refused_beside(
        page, "whatsapp-new", "Número de WhatsApp", "use um número válido no formato E.164"
    )
    screenshot(page, "admin-whatsapp-error")

    number.fill("+55 11 3004-0001")
    form.get_by_role("button", name="Cadastrar número").click()
    row = page.locator("tr", has_text="Vendas WhatsApp")
    expect(row).to_contain_text("+551130040001")
    expect(row).to_contain_text(SALES_ID)
    expect(row).to_contain_text("Atendimento")
    expect(row).to_contain_text("termina em 5d2e")
    expect(row.get_by_role("cell", name="Ativo", exact=True)).to_be_visible()
    assert stored_whatsapp_number(desk, SALES_ID).access_token == WHATSAPP_TOKEN
    no_secret_in(page)
    screenshot(page, "admin-whatsapp-numbers")

    # The same phone_number_id again is refused beside its field.
    form = fill_new_number(page, "Duplicado", "+551130040002", SALES_ID, "outro-token-qualquer")
    form.get_by_role("button", name="Cadastrar número").click()
    expect(page.locator("#whatsapp-new-error")).to_contain_text(
        "ID do número na Meta (phone_number_id): este phone_number_id já está cadastrado"
    )

    # A customer writes to the new number: the bot answers from it, with its token.
    desk.graph.number_tokens = {SALES_ID: WHATSAPP_TOKEN}
    document = meta.text("wamid.WA1", "Oi")
    document["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = SALES_ID
    desk.customer_writes(document)
    sent = desk.graph.wait_for_sent(1)
    assert sent and {(m.phone_number_id, m.authorization) for m in sent} == {
        (SALES_ID, f"Bearer {WHATSAPP_TOKEN}")
    }

    # Its own bot flow: one that hides cancellation is refused under the flow box, naming
    # what is wrong; so is text that is not JSON; nothing is kept until the flow runs.
    page.get_by_role("button", name="Editar o número Vendas WhatsApp").click()
    edit = page.locator("#whatsapp-edit-form")
    flow_box = edit.get_by_label("Fluxo do robô (JSON)")
    expect(flow_box).to_have_value("")
    no_cancellation = sales_flow()
    no_cancellation["nodes"]["seguir"]["options"].pop(1)
    flow_box.fill(json.dumps(no_cancellation, ensure_ascii=False, indent=2))
    edit.get_by_role("button", name="Salvar").click()
    flow_error = page.locator("#whatsapp-edit-flow-error")
    expect(flow_error).to_contain_text("Fluxo do robô (JSON): corrija o fluxo do robô")
    expect(flow_error).to_contain_text(
        "flow.nodes.seguir.options: the first menu must offer an option with intent "
        "'cancellation' (SAC)"
    )
    expect(flow_box).to_have_attribute("aria-invalid", "true")
    expect(flow_box).to_be_focused()
    expect(page.locator("#whatsapp-edit-error")).to_be_hidden()
    flow_error.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/number_flow.png")
    screenshot(page, "admin-whatsapp-flow-error")
    assert stored_whatsapp_number(desk, SALES_ID).flow is None
    flow_box.fill('{"name": "vendas",')
    edit.get_by_role("button", name="Salvar").click()
    expect(flow_error).to_contain_text("não é um JSON válido")
    assert stored_whatsapp_number(desk, SALES_ID).flow is None

    # A flow that runs is kept, shown again in the form, and greets the number's customers.
    flow_box.fill(json.dumps(sales_flow(), ensure_ascii=False, indent=2))
    edit.get_by_role("button", name="Salvar").click()
    expect(page.locator("#toasts")).to_contain_text("Alterações salvas.")
    expect(page.locator("#whatsapp-new-form")).to_be_visible()
    assert stored_whatsapp_number(desk, SALES_ID).flow == sales_flow()
    buyer = "5511977770007"
    document = meta.text("wamid.WA2", "Quero cotar", wa_id=buyer, user_id="BR.77")
    document["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = SALES_ID
    desk.customer_writes(document)
    assert greeting_to(desk, buyer) == SALES_GREETING

    # A new token and disabled: listed as inactive, the new token kept, none shown.
    page.get_by_role("button", name="Editar o número Vendas WhatsApp").click()
    edit = page.locator("#whatsapp-edit-form")
    expect(edit.get_by_label("Canal")).to_be_focused()
    expect(edit.get_by_label("ID do número na Meta")).to_be_disabled()
    expect(edit).to_contain_text("termina em 5d2e")
    edit.get_by_label("Novo token de acesso").fill(WHATSAPP_NEW_TOKEN)
    edit.get_by_label("Número ativo").uncheck()
    edit.get_by_role("button", name="Salvar").click()
    row = page.locator("tr", has_text="Vendas WhatsApp")
    expect(row.get_by_role("cell", name="Inativo", exact=True)).to_be_visible()
    expect(row).to_contain_text("termina em 8b41")
    assert stored_whatsapp_number(desk, SALES_ID).access_token == WHATSAPP_NEW_TOKEN
    no_secret_in(page)

    # Removing asks first, naming the number; saying no changes nothing.
    form = fill_new_number(
        page, "Número reserva", "+551130040009", SPARE_ID, "token-do-numero-reserva"
    )
    form.get_by_role("button", name="Cadastrar número").click()
    spare = page.locator("tr", has_text="Número reserva")
    expect(spare).to_contain_text(SPARE_ID)
    asked: list[str] = []

    def answer(accept: bool) -> Callable[[Dialog], None]:
        def reply(dialog: Dialog) -> None:
            asked.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        return reply

    page.once("dialog", answer(False))
    spare.get_by_role("button", name="Remover o número Número reserva").click()
    expect(spare).to_be_visible()
    assert asked and "Remover o número Número reserva (+551130040009)?" in asked[0]
    assert "será desativado em vez de apagado" in asked[0]

    # Confirmed, the number nobody wrote to is gone for good.
    page.once("dialog", answer(True))
    spare.get_by_role("button", name="Remover o número Número reserva").click()
    expect(page.locator("#toasts")).to_contain_text("Número Número reserva removido.")
    expect(page.locator("tr", has_text="Número reserva")).to_have_count(0)
    assert len(asked) == 2
    assert desk.server.call(_number_gone(desk, SPARE_ID))

    # The one a customer wrote to stays, disabled, for its conversation's history.
    page.once("dialog", answer(True))
    row.get_by_role("button", name="Remover o número Vendas WhatsApp").click()
    expect(page.locator("#toasts")).to_contain_text(
        "O número Vendas WhatsApp tem conversas: foi desativado"
    )
    row = page.locator("tr", has_text="Vendas WhatsApp")
    expect(row.get_by_role("cell", name="Inativo", exact=True)).to_be_visible()
    assert stored_whatsapp_number(desk, SALES_ID).enabled is False
    no_secret_in(page)
    # The list itself, once the notices are gone.
    expect(page.locator("#toasts .toast")).to_have_count(0, timeout=8000)
    page.get_by_role(
        "heading", name="Números de WhatsApp (Meta Cloud API)"
    ).scroll_into_view_if_needed()
    screenshot(page, "admin-whatsapp-numbers-removed")

    # In English, the same list and form.
    page.get_by_role("button", name="EN", exact=True).click()
    page.get_by_role("link", name="Channels and credentials").click()
    expect(page.get_by_role("heading", name="WhatsApp numbers (Meta Cloud API)")).to_be_visible()
    row = page.locator("tr", has_text="Vendas WhatsApp")
    expect(row).to_contain_text("ends in 8b41")
    expect(row.get_by_role("cell", name="Inactive", exact=True)).to_be_visible()
    expect(row.get_by_role("button", name="Remove the number Vendas WhatsApp")).to_be_visible()
    screenshot(page, "admin-whatsapp-numbers-en")
    context.close()


async def _number_gone(desk: Desk, phone_number_id: str) -> bool:
    async with desk.server.app.state.runtime.sessions() as session:
        return await MessagingRepository(session).whatsapp_number_by_id(phone_number_id) is None
