"""Every word the desk shows exists in pt-BR and in English."""

from __future__ import annotations

import re
from pathlib import Path

from atende.desk.i18n import LANGUAGES, Translator, catalog, choose

DESK = Path(__file__).resolve().parents[2] / "src" / "atende" / "desk"
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z][a-zA-Z0-9_.-]*[a-zA-Z0-9_])["']""")


def keys_used() -> set[str]:
    files = [*DESK.glob("templates/*.html"), *DESK.glob("static/*.js")]
    return {key for path in files for key in LITERAL_KEY.findall(path.read_text("utf-8"))}


def test_both_languages_have_the_same_words() -> None:
    portuguese, english = (set(catalog(language)) for language in LANGUAGES)
    assert portuguese == english
    assert all(catalog("en")[key].strip() for key in english)


def test_every_word_the_pages_ask_for_is_translated() -> None:
    used = keys_used()
    assert len(used) > 150
    assert sorted(used - set(catalog("pt-BR"))) == []


def test_portuguese_is_the_default_and_english_selectable() -> None:
    assert choose(None, "fr") == "pt-BR"
    assert choose("en-US") == "en" and choose(None, "pt") == "pt-BR"
    assert Translator("en")("agent.accept") == "Accept"
    assert Translator("pt-BR")("agent.offer_title", channel="WhatsApp", customer="Ana") == (
        "Novo atendimento (WhatsApp): Ana"
    )


SOURCE = DESK.parent
AGENT_FACING = ("voice/controls.py", "messaging/desk.py", "messaging/desk_api.py")
PROBLEM_TITLE = re.compile(r'Problem\(\s*\d+,\s*"([^"]+)"')
# Refusals whose server detail is the useful part (which media limit, which routing rule) or
# that the desk's own screens never provoke (another agent's conversation, a missing record):
# the toast shows the detail as the server wrote it.
SHOWN_AS_SAID = {
    "Forbidden",
    "Not found",
    "Over the channel's media limits",
    "Transfer refused",
    "Workflow cannot target",
    "Wrap-up refused",
}


def test_refusals_an_agent_meets_are_said_in_the_page_language() -> None:
    """A call or chat control refused by the server shows in pt-BR on a pt-BR page: each kind
    of refusal (the problem's title) has words in both languages (`reportError` in desk.js)."""
    titles = {
        title
        for module in AGENT_FACING
        for title in PROBLEM_TITLE.findall((SOURCE / module).read_text("utf-8"))
    }
    assert len(titles) > 15
    for language in LANGUAGES:
        missing = {t for t in titles - SHOWN_AS_SAID if f"problem.{t}" not in catalog(language)}
        assert missing == set(), language
    assert Translator("pt-BR")("problem.Call still live").startswith("A chamada ainda está")
