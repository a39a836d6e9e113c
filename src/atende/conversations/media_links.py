"""Signed, expiring links to a conversation's media (pictures, audio, documents).

A link that leaves the agent's session (copied into an e-mail, pasted to a customer, handed to a
provider that downloads the file) must not open the file for ever: personal data stays visible
only to those who need it, and only while they need it (LGPD). The link carries its expiry and
an HMAC-SHA256 over the path and that expiry, keyed from the deployment's secret key, so any
node checks it without a database row; nothing is stored per link. Changing
`ATENDE_SECRET_KEY` voids every link issued before.

Pure: no I/O, the clock is passed in."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from atende.errors import Problem

PREFIX = "/media/"
# Separates these signatures from any other use of the secret key.
PURPOSE = b"atende.conversations.media-links.v1"


def media_path(media_sid: str) -> str:
    return f"{PREFIX}{media_sid}"


@dataclass(frozen=True, slots=True)
class SignedLink:
    url: str
    expires_at: datetime


class MediaLinks:
    """Issues and checks the links; `lifetime` is how long a link opens its file."""

    def __init__(self, secret_key: str, lifetime: timedelta) -> None:
        if lifetime <= timedelta(0):
            raise ValueError(f"lifetime: must be positive, got {lifetime}")
        self.lifetime = lifetime
        self._key = hmac.new(secret_key.encode(), PURPOSE, hashlib.sha256).digest()

    def _signature(self, path: str, expires: int) -> str:
        digest = hmac.new(self._key, f"{path}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, base_url: str, media_sid: str, now: datetime) -> SignedLink:
        """An absolute link to `media_sid` under `base_url` (the public URL) until now + lifetime,
        rounded down to the second."""
        expires = int((now + self.lifetime).timestamp())
        path = media_path(media_sid)
        query = urlencode({"expires": expires, "signature": self._signature(path, expires)})
        return SignedLink(
            url=f"{base_url.rstrip('/')}{path}?{query}",
            expires_at=datetime.fromtimestamp(expires, UTC),
        )

    def check(
        self, media_sid: str, expires: str | None, signature: str | None, now: datetime
    ) -> None:
        """403 for a link Atende did not issue (or altered: another file, a later expiry),
        410 for one it issued that has expired. The signature is checked first, so an
        altered link never learns whether it would still be valid."""
        if not expires or not signature:
            missing = [n for n, v in (("expires", expires), ("signature", signature)) if not v]
            raise Problem(
                403, "Link not signed", f"{' and '.join(missing)}: missing from the media link"
            )
        try:
            moment = int(expires)
        except ValueError:
            raise Problem(403, "Link not signed", "expires: not a Unix time") from None
        wanted = self._signature(media_path(media_sid), moment)
        if not hmac.compare_digest(wanted, signature):
            raise Problem(
                403,
                "Link not valid",
                f"signature: this link to media {media_sid} was not issued by Atende "
                "or was altered",
            )
        if now.timestamp() >= moment:
            ended = datetime.fromtimestamp(moment, UTC).isoformat()
            raise Problem(
                410, "Link expired", f"expires: this link expired at {ended}; ask for a new one"
            )
