"""WhatsApp's customer-service window: 24 hours from the customer's last message.

Only the customer's messages open or extend it; outside it only approved templates may go."""

from __future__ import annotations

from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)


def expires_at(last_inbound_at: datetime | None) -> datetime | None:
    return None if last_inbound_at is None else last_inbound_at + WINDOW


def is_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    deadline = expires_at(last_inbound_at)
    return deadline is not None and now < deadline


def later(current: datetime | None, candidate: datetime) -> datetime:
    """Messages arrive out of order: the window follows the newest one, never an older one."""
    return candidate if current is None or candidate > current else current
