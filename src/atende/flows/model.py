"""The shape of a flow: named nodes, each saying what to do and which node comes next.

A flow is configuration (a JSON document, loaded by `atende.flows.loader.load_flow`), shared by
the voice IVR and the chat bots. Texts are given per language, pt-BR first:

    {
      "name": "atendimento",
      "start": "saudacao",
      "nodes": {
        "saudacao": {"type": "say", "next": "menu",
                     "text": {"pt-BR": "Seu protocolo é {protocol_digits}.",
                              "en": "Your protocol number is {protocol_digits}."}},
        "menu": {"type": "menu", "attribute": "menu_choice",
                 "prompt": {"pt-BR": "Para reclamação, digite 7.", "en": "..."},
                 "options": [{"key": "7", "value": "reclamacao", "intent": "complaint",
                              "label": {"pt-BR": "Reclamação", "en": "Complaint"},
                              "attributes": {"queue": "relacionamento"}, "next": "fila"}],
                 "on_failure": "fila"},
        "fila": {"type": "handoff", "attributes": {"channel_hint": "sac"}}
      }
    }

Node types (fields beyond `type`):
- `say`: text, next. Greeting and notices ("this call is recorded") are `say` nodes.
- `menu`: prompt, options [{key, value, label, next, attributes?, intent?}], attribute (where
  the chosen value is stored), invalid (text), retries, on_failure (node after too many tries).
  Keys are digits for voice; chat shows the labels as buttons and also accepts the key.
- `question`: prompt, attribute, next, kind ("text" or "digits"), max_length.
- `business_hours`: calendar (a name the runner knows), open, closed (node names).
- `http_lookup`: url (a template; `{from}` is the caller), timeout (seconds, at most 5),
  attribute (where the JSON answer is stored), fallback (stored when the lookup fails), next.
- `voicemail`: prompt, max_seconds, next.
- `callback`: text (confirmation), attributes, next: the contact asked to be called back.
- `handoff`: text, workflow_sid (None: the channel's default), attributes, priority, timeout.
- `hangup`: text.

Texts may use `{attribute}` placeholders; `{protocol_digits}` spells the protocol digit by digit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DEFAULT_LANGUAGE = "pt-BR"


class _Blank(dict[str, Any]):
    """Placeholders with no value render as nothing rather than failing the call."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Text:
    """One message in several languages; pt-BR is the one every text must have."""

    by_language: Mapping[str, str]

    def render(self, language: str, variables: Mapping[str, Any]) -> str:
        template = self.by_language.get(language) or self.by_language[DEFAULT_LANGUAGE]
        return template.format_map(_Blank(variables))


@dataclass(frozen=True)
class MenuOption:
    key: str
    value: str
    label: Text
    next: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    # What the option is for, in SAC terms ("complaint", "cancellation", "agent"), so the
    # decree's checks do not depend on wording.
    intent: str | None = None


@dataclass(frozen=True)
class Say:
    text: Text
    next: str
    type: Literal["say"] = "say"


@dataclass(frozen=True)
class Menu:
    prompt: Text
    options: tuple[MenuOption, ...]
    attribute: str
    on_failure: str
    invalid: Text | None = None
    retries: int = 2
    type: Literal["menu"] = "menu"

    def option_for(self, reply: str) -> MenuOption | None:
        """Voice sends the key; chat sends the key, the value or the label (any case)."""
        wanted = _fold(reply)
        for option in self.options:
            names = {option.key, option.value, *option.label.by_language.values()}
            if wanted in {_fold(name) for name in names}:
                return option
        return None


@dataclass(frozen=True)
class Question:
    prompt: Text
    attribute: str
    next: str
    kind: Literal["text", "digits"] = "text"
    max_length: int = 200
    type: Literal["question"] = "question"


@dataclass(frozen=True)
class BusinessHours:
    calendar: str
    open: str
    closed: str
    type: Literal["business_hours"] = "business_hours"


@dataclass(frozen=True)
class HttpLookup:
    url: str
    attribute: str
    next: str
    timeout: float = 2.0
    fallback: Mapping[str, Any] = field(default_factory=dict)
    type: Literal["http_lookup"] = "http_lookup"


@dataclass(frozen=True)
class Voicemail:
    prompt: Text
    next: str
    max_seconds: int = 120
    type: Literal["voicemail"] = "voicemail"


@dataclass(frozen=True)
class Callback:
    text: Text | None
    next: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    type: Literal["callback"] = "callback"


@dataclass(frozen=True)
class Handoff:
    text: Text | None = None
    workflow_sid: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    priority: int | None = None
    timeout: int | None = None
    type: Literal["handoff"] = "handoff"


@dataclass(frozen=True)
class Hangup:
    text: Text | None = None
    type: Literal["hangup"] = "hangup"


Node = Say | Menu | Question | BusinessHours | HttpLookup | Voicemail | Callback | Handoff | Hangup


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    nodes: Mapping[str, Node]
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE, "en")

    def node(self, name: str) -> Node:
        return self.nodes[name]


def _fold(text: str) -> str:
    """Case- and accent-insensitive comparison, so "reclamacao" matches "Reclamação"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
