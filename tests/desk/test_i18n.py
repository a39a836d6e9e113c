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
