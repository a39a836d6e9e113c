"""The desk for someone who does not use a mouse or sees less contrast: an agent signs in, goes
available, accepts an offer and replies with the keyboard alone; and the text of the main
screens meets WCAG's AA contrast (4.5:1, 3:1 for large text)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.desk.contact_center import PASSWORD
from tests.e2e.conftest import Desk, needs_chromium, new_context, sign_in
from tests.e2e.test_agent_desk import customer_asks_for_a_quote, go_available

pytestmark = [pytest.mark.e2e, needs_chromium]

# Every visible text node whose colour against its nearest opaque background falls short of AA.
LOW_CONTRAST = r"""() => {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(',').map((s) => parseFloat(s));
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.backgroundImage !== 'none') return null; // a gradient or picture: not judged
      const c = parse(style.backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const short = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || box.width === 0 || box.height === 0) continue;
    const [fg, bg] = [parse(style.color), background(el)];
    if (!fg || !bg) continue;
    const [a, b] = [lum(fg), lum(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      short.push({ text: node.textContent.trim().slice(0, 40), ratio, color: style.color });
    }
  }
  return short;
}"""


def tab_to(page: Page, name: str, limit: int = 60) -> None:
    """Press Tab until the focused control's own name (label, aria-label, or a button's or
    link's text) contains `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
              const e = document.activeElement;
              const own = ['BUTTON', 'A', 'SUMMARY'].includes(e.tagName) ? e.textContent : '';
              const label = e.labels && e.labels[0] ? e.labels[0].textContent : '';
              return [e.getAttribute('aria-label'), label, own, e.id].filter(Boolean).join(' ');
            }"""
        )
        if name in focused:
            return
    raise AssertionError(f"{name!r} cannot be reached with Tab")


def test_an_agent_works_with_the_keyboard_alone(desk: Desk, browser: Browser) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{desk.url}/login")
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.keyboard.type(desk.center.email("ana"))
    tab_to(page, "Senha")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{desk.url}/agent")

    tab_to(page, "Status")
    page.keyboard.type("Disp")
    expect(page.locator("#activity-dot")).to_have_class(re.compile("available"))

    customer_asks_for_a_quote(desk, "wamid.KB")
    expect(page.locator(".offer")).to_contain_text("Novo atendimento (WhatsApp)")
    tab_to(page, "Aceitar")
    page.keyboard.press("Enter")
    expect(page.locator("#messages")).to_contain_text("quero cotar seguro do carro")

    tab_to(page, "reply")
    page.keyboard.type("Olá! Já vou te ajudar.")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".message.outbound", has_text="Já vou te ajudar")).to_be_visible()
    context.close()


def _low_contrast(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(LOW_CONTRAST)
    return found


def test_the_main_screens_meet_aa_contrast(desk: Desk, browser: Browser) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{desk.url}/login")
    # The check itself: light grey on white is caught.
    page.evaluate(
        "() => { const faint = document.createElement('p'); faint.id = 'faint';"
        " faint.textContent = 'quase invisível'; faint.style.color = '#bbbbbb';"
        " document.querySelector('main').append(faint); }"
    )
    assert [found["text"] for found in _low_contrast(page)] == ["quase invisível"]
    page.evaluate("() => document.getElementById('faint').remove()")
    assert _low_contrast(page) == [], "login"
    sign_in(page, desk, "ana")
    go_available(page)
    customer_asks_for_a_quote(desk, "wamid.AA")
    page.locator(".offer").get_by_role("button", name="Aceitar").click()
    expect(page.locator("#messages")).to_contain_text("quero cotar seguro do carro")
    assert _low_contrast(page) == [], "agent desk"
    supervisor = browser.new_context(locale="pt-BR", viewport={"width": 1440, "height": 900})
    board = supervisor.new_page()
    sign_in(board, desk, "supervisora")
    expect(board.locator("#team-count")).to_have_text(re.compile("agentes$"))
    assert _low_contrast(board) == [], "supervisor"
    supervisor.close()
    context.close()
