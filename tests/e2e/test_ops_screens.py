"""The business-systems team's screens in a real browser: open an incident from its impact,
pause and resume its clocks, approve an access request and read the monthly SLA report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from atende.auth.models import Role
from atende.auth.service import AuthService
from atende.ops.access_service import AccessForm, AccessService
from atende.ops.jobs import ops_context
from atende.ops.models import Notification
from atende.runtime import Runtime
from tests.conftest import LiveServer
from tests.e2e.conftest import needs_chromium, new_context, screenshot

pytestmark = [pytest.mark.e2e, needs_chromium]

ADMIN = "admin@example.com"
PASSWORD = "senha-bem-forte"


async def seed(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        await AuthService(session).create_user(ADMIN, Role.ADMIN, password=PASSWORD)
        form = AccessForm(
            name="Rita Souza",
            email="rita@example.com",
            team="Faturamento",
            role_wanted=Role.AGENT.value,
            reason="atender a fila de cobrança",
        )
        await AccessService(session, ops_context(runtime)).submit(form)
        await session.commit()


@pytest.fixture
def admin_page(live_server: LiveServer, browser: Browser) -> Iterator[Page]:
    runtime = live_server.app.state.runtime
    ops_context(runtime).allowed_email_domains = ("example.com",)
    live_server.call(seed(runtime))
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-mail").fill(ADMIN)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar", exact=True).click()
    page.wait_for_url("**/admin")
    yield page
    context.close()


def test_admin_runs_an_incident_approves_access_and_reads_the_report(
    admin_page: Page, live_server: LiveServer
) -> None:
    page = admin_page
    page.get_by_role("link", name="Operações").click()
    expect(page.get_by_role("heading", name="Incidentes")).to_be_visible()

    page.get_by_role("link", name="Novo incidente").click()
    page.get_by_label("Título").fill("WhatsApp fora do ar")
    page.get_by_label("Componente").select_option("whatsapp")
    expect(page.locator("#proposed-severity")).to_have_text("BAIXA")
    page.get_by_label("Parada total do sistema").check()
    expect(page.locator("#proposed-severity")).to_have_text("ALTA")
    screenshot(page, "ops-new-incident")
    page.get_by_role("button", name="Abrir incidente").click()

    expect(page.locator("#incident-title")).to_have_text("WhatsApp fora do ar")
    expect(page.locator("#incident-severity")).to_have_text("ALTA")
    clocks = page.locator("#clocks")
    expect(clocks.locator("tr[data-clock=response]")).to_contain_text("Correndo")
    expect(clocks.locator("tr[data-clock=restoration]")).to_contain_text("Correndo")

    page.locator("#pause-reason").fill("aguardando a operadora")
    page.locator("#pause-form").get_by_role("button", name="Pausar relógios").click()
    expect(page.locator("#incident-paused")).to_contain_text("aguardando a operadora")
    expect(clocks.locator("tr[data-clock=response]")).to_contain_text("Pausado")
    expect(page.locator("#timeline")).to_contain_text("Pausado")
    screenshot(page, "ops-incident-paused")

    page.get_by_role("button", name="Retomar relógios").click()
    expect(page.locator("#incident-paused")).to_have_count(0)
    expect(clocks.locator("tr[data-clock=response]")).to_contain_text("Correndo")
    expect(page.locator("#timeline")).to_contain_text("Retomado")
    page.get_by_role("button", name="Iniciar atendimento").click()
    expect(clocks.locator("tr[data-clock=response]")).to_contain_text("Cumprido")
    expect(page.locator("#incident-status")).to_have_text("Em atendimento")
    screenshot(page, "ops-incident")

    page.get_by_role("link", name="Incidentes").click()
    listed = page.locator("#incidents-table tr", has_text="WhatsApp fora do ar")
    expect(listed).to_contain_text("Em atendimento")
    expect(listed).to_contain_text("Cumprido")
    screenshot(page, "ops-incidents")

    page.get_by_role("link", name="Pedidos de acesso").click()
    row = page.locator("#access-table tr", has_text="rita@example.com")
    row.get_by_label("Papel").select_option("supervisor")
    screenshot(page, "ops-access")
    row.get_by_role("button", name="Aprovar").click()
    expect(page.locator("#access-table")).to_contain_text("Nenhum pedido aguardando aprovação.")

    month = datetime.now(ZoneInfo("America/Sao_Paulo")).strftime("%Y-%m")
    page.goto(f"{live_server.url}/ops/report?month={month}")
    table = page.locator("#report-table")
    expect(table.locator("tr", has_text="ALTA")).to_contain_text("1/1")
    expect(page.locator("#report-chart")).to_be_visible()
    expect(page.locator("#downloads").get_by_role("link", name="PDF")).to_have_attribute(
        "href", f"/api/reports/sla?month={month}&format=pdf"
    )
    screenshot(page, "ops-report")


def test_an_approved_requester_sets_a_password_from_the_e_mail_link(
    admin_page: Page, live_server: LiveServer, browser: Browser
) -> None:
    admin_page.goto(f"{live_server.url}/ops/access")
    admin_page.get_by_role("button", name="Aprovar").click()
    expect(admin_page.locator("#access-table")).to_contain_text("Nenhum pedido")
    body = live_server.call(approval_mail(live_server.app.state.runtime))
    link = re.search(r"(/password/setup/\S+)", body)
    assert link is not None, body

    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{live_server.url}{link.group(1)}")
    expect(page.locator("#setup-email")).to_have_text("rita@example.com")
    page.get_by_label("Nova senha").fill("uma-senha-longa")
    page.get_by_label("Repita a senha").fill("uma-senha-longa")
    screenshot(page, "ops-password-setup")
    page.get_by_role("button", name="Salvar senha").click()
    expect(page.locator("#setup-done")).to_be_visible()
    page.get_by_role("link", name="Entrar").click()
    page.get_by_label("E-mail").fill("rita@example.com")
    page.get_by_label("Senha").fill("uma-senha-longa")
    page.get_by_role("button", name="Entrar", exact=True).click()
    page.wait_for_url("**/agent")
    context.close()


async def approval_mail(runtime: Runtime) -> str:
    async with runtime.sessions() as session:
        query = select(Notification.body).where(Notification.recipient == "rita@example.com")
        body: str = (await session.execute(query)).scalar_one()
    return body
