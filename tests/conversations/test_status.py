"""Statuses reported in any order leave a message at the furthest one reached."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from atende.conversations.status import RANK, advances

FORWARD = ["accepted", "sent", "delivered", "read"]


def apply_all(reports: list[str], start: str = "queued") -> str:
    current = start
    for report in reports:
        if advances(current, report):
            current = report
    return current


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FORWARD), min_size=1, max_size=12))
def test_any_order_ends_at_the_furthest_status(reports: list[str]) -> None:
    assert apply_all(reports) == max(reports, key=RANK.__getitem__)


@settings(max_examples=200, deadline=None)
@given(st.permutations(["sent", "delivered", "read", "failed"]))
def test_failure_never_undoes_a_delivery(reports: list[str]) -> None:
    final = apply_all(reports)
    delivered_before_failure = reports.index("delivered") < reports.index("failed") or (
        reports.index("read") < reports.index("failed")
    )
    assert final == ("read" if delivered_before_failure else "failed")


def test_a_failed_message_stays_failed() -> None:
    assert apply_all(["failed", "sent", "delivered", "read"]) == "failed"


def test_repeats_and_unknown_statuses_change_nothing() -> None:
    assert not advances("sent", "sent")
    assert not advances("sent", "warning")
    assert advances("sending", "accepted")
