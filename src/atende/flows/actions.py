"""What the interpreter asks a channel to do, and what a channel tells the interpreter back.

Actions are channel-neutral: voice renders `Say` as <Say>, `Prompt` as <Gather> with digits and
`Record` as <Record>; chat renders `Say` as a message and `Prompt` as buttons or a list.
`CheckHours` and `Lookup` are effects: the runner (`atende.flows.runner`) performs them and feeds
the outcome back, so the interpreter itself never touches a clock or the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PromptOption:
    key: str
    value: str
    label: str


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Prompt:
    """Wait for a choice among options (digits on voice, buttons on chat)."""

    text: str
    options: tuple[PromptOption, ...]


@dataclass(frozen=True)
class Ask:
    """Wait for a free answer (digits on voice; any text on chat)."""

    text: str
    attribute: str
    kind: str
    max_length: int


@dataclass(frozen=True)
class Record:
    """Take a voicemail (voice) or a free message (chat)."""

    text: str
    max_seconds: int


@dataclass(frozen=True)
class CheckHours:
    calendar: str


@dataclass(frozen=True)
class Lookup:
    url: str
    timeout: float


@dataclass(frozen=True)
class RequestCallback:
    """The contact asked to be called back; the channel files the callback with these
    attributes (protocol, menu choice, caller...)."""

    attributes: Mapping[str, Any]


@dataclass(frozen=True)
class Handoff:
    """Hand the contact to routing: create a task with these attributes."""

    attributes: Mapping[str, Any]
    workflow_sid: str | None = None
    priority: int | None = None
    timeout: int | None = None


@dataclass(frozen=True)
class Hangup:
    pass


Action = Say | Prompt | Ask | Record | CheckHours | Lookup | RequestCallback | Handoff | Hangup
EFFECTS = (CheckHours, Lookup)


@dataclass(frozen=True)
class Start:
    """Begin the flow (the call was answered, the first message arrived)."""


@dataclass(frozen=True)
class Reply:
    """The contact's answer: digits from a <Gather>, a button id or a typed message."""

    text: str


@dataclass(frozen=True)
class NoReply:
    """The contact said nothing before the prompt timed out."""


@dataclass(frozen=True)
class Recorded:
    url: str | None
    seconds: int = 0


@dataclass(frozen=True)
class HoursChecked:
    open: bool


@dataclass(frozen=True)
class LookedUp:
    """A lookup's JSON object, or None when it failed or timed out."""

    data: Mapping[str, Any] | None = field(default=None)


Input = Start | Reply | NoReply | Recorded | HoursChecked | LookedUp
