"""SIDs: shaped as Twilio's, unique, and in creation order (so SID indexes grow at one end)."""

from __future__ import annotations

import time

from atende.sids import looks_like_sid, new_sid


def test_sids_are_twilio_shaped_and_unique() -> None:
    sids = [new_sid("WT") for _ in range(10_000)]
    assert all(looks_like_sid(sid, "WT") and len(sid) == 34 for sid in sids)
    assert len(set(sids)) == len(sids)  # thousands made within the same millisecond differ
    assert not looks_like_sid(sids[0], "WR")


def test_later_sids_sort_after_earlier_ones() -> None:
    earlier = [new_sid("EV") for _ in range(100)]
    time.sleep(0.003)  # the next millisecond at least
    later = [new_sid("EV") for _ in range(100)]
    assert max(earlier) < min(later)


def test_a_sid_starts_with_the_millisecond_it_was_made() -> None:
    before = time.time_ns() // 1_000_000
    sid = new_sid("VC")
    after = time.time_ns() // 1_000_000
    assert before <= int(sid[2:14], 16) <= after
