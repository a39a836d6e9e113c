"""Twilio-shaped SIDs: a two-letter prefix and 32 hex digits (e.g. WS…, WK…, AC…)."""

from __future__ import annotations

import re
import secrets

_SID = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def looks_like_sid(value: str, prefix: str) -> bool:
    return value.startswith(prefix) and bool(_SID.match(value))
