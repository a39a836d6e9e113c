"""What a channel connector hands to conversations, in channel-neutral words.

Connectors turn a provider's wire format into these; conversations never read a provider's
payload. Pure data, so connectors stay free of the database and of the web framework."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RawItem:
    """One provider webhook item as stored before the 2xx: `key` is the provider's own identity
    for it (duplicates collide on it), `payload` the part of the webhook it came in."""

    provider: str
    key: str
    kind: str  # "message" or "status"
    provider_message_id: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MediaRef:
    """Where to fetch an attachment: Meta gives an id to look up, Twilio a URL."""

    provider_media_id: str | None = None
    url: str | None = None
    mime_type: str = "application/octet-stream"
    filename: str | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    provider: str
    channel: str
    provider_id: str
    business_address: str
    sent_at: datetime
    type: str
    text: str | None = None
    content: dict[str, Any] = field(default_factory=dict)
    media: MediaRef | None = None
    phone: str | None = None
    whatsapp_user_id: str | None = None
    visitor: str | None = None
    profile_name: str = ""
    reply_to: str | None = None
    # What a bot reads as the answer: a button's id or payload, else the typed text.
    bot_reply: str | None = None

    @property
    def customer_address(self) -> str:
        """The address replies go to: the phone when known, else the WhatsApp user_id."""
        address = self.phone or self.whatsapp_user_id or self.visitor
        if address is None:
            raise ValueError("an inbound message must name its sender")
        return address


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    provider: str
    provider_id: str
    status: str
    at: datetime
    error_code: str | None = None
    error_message: str | None = None


class ProviderError(Exception):
    """The provider refused a request. `retryable` errors (throttling, outages) are tried
    again later; the others are final, and `message` says why in words for the agent."""

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    content: bytes
    mime_type: str
    sha256: str
