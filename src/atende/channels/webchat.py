"""The web chat channel: visitors of the company's site, identified by a signed token kept in
their browser, so a page reload (or a new tab) continues the same conversation.

There is no provider: messages arrive over the widget's WebSocket and leave over it. This module
only mints and checks visitor tokens and turns what the widget sends into inbound messages."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from atende.conversations.items import InboundMessage

PROVIDER = "webchat"
BUSINESS_ADDRESS = "webchat"
MAX_TEXT = 4096
ORIGINS_SETTING = "ATENDE_WEBCHAT_ORIGINS"
DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a browser origin such as `https://www.example.com.br`; None for
    anything else (a path, a query, "null" from a sandboxed frame or a file)."""
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


class OriginPolicy:
    """Which sites may embed the widget: a browser names the page's origin in the WebSocket
    handshake (`Origin`), and another site must not open chats in the company's name.

    An empty list admits every site (a fresh install must be usable), as before the setting
    existed. Atende's own origin (`public_url`) is always admitted. `https://*.example.com`
    admits the subdomains of example.com (not example.com itself). A client that sends no
    `Origin` is not a browser, and a non-browser can claim any origin: it is let through."""

    def __init__(self, allowed: Iterable[str], own: str) -> None:
        self.exact: set[tuple[str, str, int]] = set()
        self.suffixes: set[tuple[str, str, int]] = set()
        for entry in allowed:
            wildcard = "://*." in entry
            parsed = _origin(entry.replace("://*.", "://", 1) if wildcard else entry)
            if parsed is None:
                raise ValueError(
                    f"{ORIGINS_SETTING}: {entry!r} is not an origin; write scheme://host[:port] "
                    "without a path, e.g. https://www.example.com.br or https://*.example.com.br"
                )
            if wildcard:
                scheme, host, port = parsed
                self.suffixes.add((scheme, "." + host, port))
            else:
                self.exact.add(parsed)
        self.open = not (self.exact or self.suffixes)
        own_parts = urlsplit(own)
        own_origin = _origin(f"{own_parts.scheme}://{own_parts.netloc}")
        if own_origin is not None:
            self.exact.add(own_origin)

    def allows(self, origin: str | None) -> bool:
        if self.open or origin is None:
            return True
        parsed = _origin(origin)
        if parsed is None:
            return False
        if parsed in self.exact:
            return True
        scheme, host, port = parsed
        return any(
            scheme == s and port == p and host.endswith(suffix) for s, suffix, p in self.suffixes
        )


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
