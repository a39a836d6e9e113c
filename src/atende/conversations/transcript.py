"""A conversation as text, in the customer's time zone: what is kept when it closes and what
a customer receives when they ask for their history (SAC)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from atende.conversations.models import Conversation, Message

ZONE = ZoneInfo("America/Sao_Paulo")
AUTHORS = {"customer": "Cliente", "bot": "Assistente", "agent": "Atendente", "system": "Sistema"}


def describe(message: Message) -> str:
    """A one-line account of any message, including the ones without text."""
    if message.text:
        return message.text
    if message.type == "template":
        return f"[modelo {message.content.get('name', '')}]"
    return f"[{message.type}]"


def render(conversation: Conversation, messages: Sequence[Message]) -> str:
    opened = conversation.opened_at.astimezone(ZONE)
    lines = [
        f"Protocolo {conversation.protocol} — {conversation.channel}, "
        f"aberto em {opened:%d/%m/%Y %H:%M}",
    ]
    for message in messages:
        when = message.sent_at.astimezone(ZONE)
        lines.append(
            f"[{when:%d/%m/%Y %H:%M}] {AUTHORS.get(message.author, message.author)}: "
            f"{describe(message)}"
        )
    if conversation.closed_at is not None:
        closed = conversation.closed_at.astimezone(ZONE)
        disposition = f" ({conversation.disposition})" if conversation.disposition else ""
        lines.append(f"Encerrado em {closed:%d/%m/%Y %H:%M}{disposition}")
    return "\n".join(lines) + "\n"
