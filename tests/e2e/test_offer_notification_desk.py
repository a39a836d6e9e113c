"""An agent who switched to another tab still learns of new work: the desk raises a browser
notification naming the channel and the customer, with the queue underneath."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Desk, needs_chromium, new_context, sign_in
from tests.e2e.test_agent_desk import customer_asks_for_a_quote, go_available
from tests.messaging import meta_payloads as meta

pytestmark = [pytest.mark.e2e, needs_chromium]

# Headless Chromium is always the visible tab and shows notifications nowhere a test can see:
# the page is told it is hidden, and every notification it raises is recorded.
HIDDEN_TAB_RECORDING_NOTIFICATIONS = """
Object.defineProperty(document, "visibilityState", { get: () => "hidden", configurable: true });
Object.defineProperty(document, "hidden", { get: () => true, configurable: true });
window.shownNotifications = [];
window.Notification = class extends window.Notification {
  constructor(title, options) {
    super(title, options);
    window.shownNotifications.push({ title, body: options?.body ?? "" });
  }
};
"""


def test_a_new_offer_raises_a_browser_notification_while_the_tab_is_hidden(
    desk: Desk, browser: Browser
) -> None:
    context = new_context(browser)
    context.grant_permissions(["notifications"], origin=desk.url)
    context.add_init_script(HIDDEN_TAB_RECORDING_NOTIFICATIONS)
    page = context.new_page()
    sign_in(page, desk, "ana")
    go_available(page)
    assert page.evaluate("window.shownNotifications") == []

    customer_asks_for_a_quote(desk, "wamid.N")
    expect(page.locator(".offer")).to_contain_text("Novo atendimento (WhatsApp)")
    page.wait_for_function("window.shownNotifications.length > 0")
    shown: list[dict[str, Any]] = page.evaluate("window.shownNotifications")
    assert shown == [
        {
            "title": f"Novo atendimento (WhatsApp): {meta.CUSTOMER_NAME}",
            "body": "Vendas Auto · Cotação de seguro auto",
        }
    ]
    context.close()
