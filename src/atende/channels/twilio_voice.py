"""Twilio Programmable Voice behind the Connector contract: signed webhooks in, typed items out.

Twilio signs a webhook with the account's auth token over the exact URL it requested (our
public URL, path and query) followed by the POST parameters sorted by name; anything that does
not verify is refused before it is stored. Each item carries the key that makes a replay
recognisable: the CallSid with its status for call callbacks, the conference and its sequence
number for conference callbacks, the recording and its status for recording callbacks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from atende.channels.connector import SignatureError, verify_twilio_signature

SIGNATURE_HEADER = "x-twilio-signature"

# Call statuses in the order a call can go through them; the last five are all final.
CALL_STATUS_RANK = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "answered": 3,
    "completed": 4,
    "busy": 4,
    "failed": 4,
    "no-answer": 4,
    "canceled": 4,
}
FINAL_CALL_STATUSES = frozenset(s for s, rank in CALL_STATUS_RANK.items() if rank == 4)


def status_rank(status: str | None) -> int:
    return CALL_STATUS_RANK.get(status or "", -1)


def moves_forward(current: str | None, new: str) -> bool:
    """Twilio may deliver "ringing" after "completed"; a call never goes back."""
    return status_rank(new) > status_rank(current)


def form_params(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def webhook_key(kind: str, params: Mapping[str, str], step: str | None = None) -> str:
    """The identity of a webhook, so the same delivery twice is stored once."""
    call = params.get("CallSid", "")
    if kind == "status":
        return f"{call}:status:{params.get('CallStatus', '')}"
    if kind == "conference":
        conference = params.get("ConferenceSid", "")
        sequence = params.get("SequenceNumber")
        if sequence:
            return f"{conference}:conference:{sequence}"
        return f"{conference}:{params.get('StatusCallbackEvent', '')}:{call}"
    if kind == "recording":
        return f"{params.get('RecordingSid', '')}:recording:{params.get('RecordingStatus', '')}"
    if kind in ("gather", "recorded", "callback-offer"):
        return f"{call}:{kind}:{step or ''}"
    return f"{call}:{kind}"


@dataclass(frozen=True)
class TwilioVoiceConnector:
    """One Twilio account's view of its webhooks."""

    auth_token: str
    name: str = "twilio_voice"

    def verify(self, url: str, headers: Mapping[str, str], body: bytes) -> None:
        self.verify_form(url, headers, form_params(body))

    def verify_form(self, url: str, headers: Mapping[str, str], params: Mapping[str, str]) -> None:
        """`verify` for a body already parsed (`form_params`), which a caller trying several
        accounts' tokens need not parse again for each."""
        verify_twilio_signature(self.auth_token, url, params, _header(headers, SIGNATURE_HEADER))

    def parse(self, body: bytes, content_type: str) -> Sequence[Mapping[str, Any]]:
        if "application/x-www-form-urlencoded" not in content_type:
            raise SignatureError("Twilio posts webhooks as a form")
        return [form_params(body)]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
