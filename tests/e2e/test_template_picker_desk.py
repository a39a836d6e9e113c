"""Once WhatsApp's 24-hour window has closed, the agent's composer stops offering free text and
offers the approved templates instead: the agent picks one (its preview names the variable
rather than showing `{{1}}`, then shows the value typed), fills its variable, sends it, and
WhatsApp receives a template message. The admin's list of templates names the variables too."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from atende.conversations.models import Conversation
from atende.db.base import utcnow
from atende.messaging.templates import TemplateRegistry
from atende.taskrouter import models as tr
from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in
from tests.e2e.test_agent_desk import ana_takes_a_quote

pytestmark = [pytest.mark.e2e, needs_chromium]


async def _window_closes_with_templates_approved(desk: Desk, task_sid: str) -> None:
    """A day passes without the customer writing; meanwhile the admin registered templates."""
    async with desk.server.app.state.runtime.sessions() as session:
        task = await session.get(tr.Task, task_sid)
        assert task is not None
        conversation = await session.get(
            Conversation, json.loads(task.attributes)["conversation_sid"]
        )
        assert conversation is not None
        conversation.last_inbound_at = utcnow() - timedelta(hours=25)
        registry = TemplateRegistry(session)
        await registry.register(
            name="retomar_cotacao",
            language="pt_BR",
            body="Olá {{1}}, sua cotação de seguro auto está pronta. Podemos continuar?",
            variables=["nome"],
        )
        await registry.register(
            name="aviso_pagamento", language="pt_BR", body="Seu boleto vence amanhã."
        )
        await session.commit()


def test_after_the_window_closes_the_agent_sends_an_approved_template(
    desk: Desk, browser: Browser
) -> None:
    context, page = ana_takes_a_quote(desk, browser, "wamid.T")
    expect(page.locator("#reply")).to_be_visible()
    task_sid = page.locator(".work-item").first.get_attribute("data-task")
    assert task_sid is not None

    desk.server.call(_window_closes_with_templates_approved(desk, task_sid))
    page.reload()
    expect(page.locator("#window-banner")).to_contain_text("A janela de 24 horas")
    expect(page.locator("#reply")).to_have_count(0)
    picker = page.get_by_label("Modelo aprovado")
    expect(picker.locator("option")).to_have_text(
        ["aviso_pagamento (pt_BR)", "retomar_cotacao (pt_BR)"]
    )
    picker.select_option(label="retomar_cotacao (pt_BR)")
    # The preview names the variable where Meta's {{1}} stands, and fills in as it is typed.
    preview = page.locator(".template-preview")
    expect(preview).to_have_text(
        "Olá nome, sua cotação de seguro auto está pronta. Podemos continuar?"
    )
    expect(preview.locator("mark")).to_have_text("nome")
    page.get_by_label("nome", exact=True).fill("Maria")
    expect(preview).to_have_text(
        "Olá Maria, sua cotação de seguro auto está pronta. Podemos continuar?"
    )
    screenshot(page, "agent-template-picker")

    before = len(desk.graph.sent)
    page.get_by_role("button", name="Enviar modelo").click()
    expect(page.locator(".message.outbound", has_text="Olá Maria, sua cotação")).to_be_visible()
    assert _templates_sent(desk, before) == [("retomar_cotacao", "pt_BR", ["Maria"])]
    context.close()


def _templates_sent(desk: Desk, since: int) -> list[tuple[str, str, list[str]]]:
    """The templates WhatsApp received after the first `since` sends: name, language, values
    (waits for the first one; the send leaves through a background job)."""
    deadline = time.monotonic() + 10
    while True:
        bodies = [m.body for m in desk.graph.sent[since:] if m.body.get("type") == "template"]
        if bodies or time.monotonic() > deadline:
            return [_template_of(body) for body in bodies]
        desk.graph.wait_for_sent(len(desk.graph.sent) + 1, timeout=1)


def _template_of(body: dict[str, Any]) -> tuple[str, str, list[str]]:
    template = body["template"]
    parameters = template["components"][0]["parameters"]
    return template["name"], template["language"]["code"], [p["text"] for p in parameters]


def test_the_admin_list_of_templates_names_their_variables(desk: Desk, browser: Browser) -> None:
    desk.server.call(_quote_template_approved(desk))
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk, "admin")
    page.get_by_role("link", name="Modelos de mensagem").click()
    row = page.locator("tr", has_text="retomar_cotacao")
    expect(row).to_contain_text("Olá nome, sua cotação de seguro auto está pronta.")
    expect(row.locator("mark")).to_have_text("nome")
    expect(row).not_to_contain_text("{{1}}")
    context.close()


async def _quote_template_approved(desk: Desk) -> None:
    async with desk.server.app.state.runtime.sessions() as session:
        await TemplateRegistry(session).register(
            name="retomar_cotacao",
            language="pt_BR",
            body="Olá {{1}}, sua cotação de seguro auto está pronta. Podemos continuar?",
            variables=["nome"],
        )
        await session.commit()
