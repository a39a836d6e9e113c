"""The desk's words in pt-BR (first) and English, kept as one JSON catalog per language.

Catalogs are data so that translators edit them without touching code and so that the same
catalog serves the server-rendered pages and the JavaScript that updates them."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

DEFAULT_LANGUAGE = "pt-BR"
LANGUAGES: tuple[str, ...] = ("pt-BR", "en")
LANGUAGE_COOKIE = "atende_lang"
LOCALES = Path(__file__).with_name("locales")


def normalise(value: str | None) -> str | None:
    """'en-US', 'EN' → 'en'; 'pt', 'pt-br' → 'pt-BR'; anything else → None."""
    if not value:
        return None
    base = value.strip().split("-")[0].lower()
    return {"pt": "pt-BR", "en": "en"}.get(base)


def choose(*preferences: str | None) -> str:
    """The first preference we speak, else pt-BR."""
    for preference in preferences:
        language = normalise(preference)
        if language is not None:
            return language
    return DEFAULT_LANGUAGE


@functools.cache
def catalog(language: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / f"{language}.json").read_text("utf-8"))
    return data


class Translator:
    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.messages = catalog(self.language)

    def __call__(self, key: str, **params: Any) -> str:
        """A missing English text falls back to Portuguese, never to a blank."""
        text = self.messages.get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
        return text.format(**params) if params else text
