"""The order of an outbound message's statuses, so late or repeated reports never move it back.

Providers report sent, delivered and read separately and out of order; a message only moves
forward. A failure is final, and it cannot undo a delivery the customer already saw."""

from __future__ import annotations

RANK = {"queued": 0, "sending": 1, "accepted": 2, "sent": 3, "delivered": 4, "read": 5}
FAILED = frozenset({"failed", "undelivered"})
DELIVERED_RANK = RANK["delivered"]


def known(status: str) -> bool:
    return status in RANK or status in FAILED


def advances(current: str, new: str) -> bool:
    """Whether a report of `new` moves a message that stands at `current`."""
    if current in FAILED or new == current or not known(new):
        return False
    if new in FAILED:
        return RANK.get(current, 0) < DELIVERED_RANK
    return RANK[new] > RANK.get(current, -1)
