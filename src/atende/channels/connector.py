"""The contract every channel connector keeps, free of framework and database.

A connector turns a provider's inbound HTTP request into checked, typed inbound items and sends
outbound items through the provider's API at a configurable base URL."""

from __future__ import annotations

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
    """Twilio signs the full public URL plus the sorted POST parameters with the auth token."""
    if not signature or not RequestValidator(auth_token).validate(url, dict(params), signature):
        raise SignatureError("missing or invalid X-Twilio-Signature")
