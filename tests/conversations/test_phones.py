"""One spelling for a phone number, so WhatsApp, SMS and voice meet in one contact."""

from __future__ import annotations

import pytest

from atende.conversations.phones import from_wa_id, to_e164


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+55 (11) 98765-4321", "+5511987654321"),
        ("whatsapp:+5511987654321", "+5511987654321"),
        ("(11) 98765-4321", "+5511987654321"),
        ("+55 11 3456-7890", "+551134567890"),
        ("+1 631-555-1181", "+16315551181"),
        ("not a number", None),
        ("12", None),
    ],
)
def test_to_e164(raw: str, expected: str | None) -> None:
    assert to_e164(raw) == expected


@pytest.mark.parametrize(
    ("wa_id", "expected"),
    [
        ("5511987654321", "+5511987654321"),
        # Older Brazilian WhatsApp accounts are reported without the mobile's leading 9.
        ("551187654321", "+5511987654321"),
        ("16315551181", "+16315551181"),
        ("BR.123", None),
    ],
)
def test_from_wa_id(wa_id: str, expected: str | None) -> None:
    assert from_wa_id(wa_id) == expected
