"""The contract every channel connector keeps, free of framework and database.

A connector turns a provider's inbound HTTP request into checked, typed inbound items and sends
outbound items through the provider's API at a configurable base URL."""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from twilio.request_validator import RequestValidator


class SignatureError(Exception):
    """The request is not from the provider: refuse it (403) and store nothing."""


@runtime_checkable
class Connector(Protocol):
    name: str

    def verify(self, url: str, headers: Mapping[str, str], body: bytes) -> None:
        """Raise SignatureError unless the provider signed this request."""

    def parse(self, body: bytes, content_type: str) -> Sequence[Mapping[str, Any]]:
        """The inbound items, each carrying the provider's own id for de-duplication."""


def verify_twilio_signature(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> None:
    """Twilio signs the full public URL plus the sorted POST parameters with the auth token.

    The signature over the URL as given is checked first: it is what Twilio signs, and one
    HMAC. Only when it does not match does the package's `validate` try the URL with and
    without its port (two more HMACs), as it always does."""
    if not signature:
        raise SignatureError("missing X-Twilio-Signature")
    validator = RequestValidator(auth_token)
    form = dict(params)
    if hmac.compare_digest(validator.compute_signature(url, form), signature):
        return
    if not validator.validate(url, form, signature):
        raise SignatureError("invalid X-Twilio-Signature")
