"""The web chat channel: visitors of the company's site, identified by a signed token kept in
their browser, so a page reload (or a new tab) continues the same conversation.

There is no provider: messages arrive over the widget's WebSocket and leave over it. This module
only mints and checks visitor tokens and turns what the widget sends into inbound messages."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from atende.conversations.items import InboundMessage

PROVIDER = "webchat"
BUSINESS_ADDRESS = "webchat"
MAX_TEXT = 4096


class WebchatConnector:
    name = PROVIDER

    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(f"webchat:{secret_key}".encode()).digest()

    def _sign(self, visitor: str) -> str:
        return hmac.new(self._key, visitor.encode(), hashlib.sha256).hexdigest()[:32]

    def new_visitor(self) -> tuple[str, str]:
        """A fresh visitor id and the token the browser keeps for it."""
        visitor = "v" + secrets.token_hex(12)
        return visitor, f"{visitor}.{self._sign(visitor)}"

    def visitor_of(self, token: str | None) -> str | None:
        """The visitor a token stands for; None for a token this node did not sign."""
        if not token or "." not in token:
            return None
        visitor, signature = token.rsplit(".", 1)
        return visitor if hmac.compare_digest(self._sign(visitor), signature) else None

    @staticmethod
    def inbound(
        visitor: str,
        client_id: str,
        at: datetime,
        *,
        text: str | None = None,
        choice_id: str | None = None,
        choice_title: str | None = None,
    ) -> InboundMessage:
        """A typed message, or a click on one of the bot's buttons (its id is the answer)."""
        if choice_id:
            content = {"kind": "button_reply", "id": choice_id, "title": choice_title or ""}
            shown = choice_title or choice_id
            return InboundMessage(
                provider=PROVIDER,
                channel=PROVIDER,
                provider_id=f"{visitor}:{client_id}",
                business_address=BUSINESS_ADDRESS,
                sent_at=at,
                type="interactive",
                text=shown[:MAX_TEXT],
                content=content,
                visitor=visitor,
                bot_reply=choice_id,
            )
        body = (text or "")[:MAX_TEXT]
        return InboundMessage(
            provider=PROVIDER,
            channel=PROVIDER,
            provider_id=f"{visitor}:{client_id}",
            business_address=BUSINESS_ADDRESS,
            sent_at=at,
            type="text",
            text=body,
            visitor=visitor,
            bot_reply=body,
        )
