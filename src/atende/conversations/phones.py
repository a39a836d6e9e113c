"""Phone numbers in one spelling (E.164), so WhatsApp, SMS and voice meet in one contact."""

from __future__ import annotations

import functools

import phonenumbers

DEFAULT_REGION = "BR"


@functools.lru_cache(maxsize=4096)
def to_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """ "+55 (11) 98765-4321", "whatsapp:+5511…" and "(11) 98765-4321" (in Brazil) all become
    "+5511987654321"; None when it is not a possible number. Cached: a webhook's number is
    parsed at arrival and again at hand-off, and parsing costs ~50 µs."""
    text = raw.strip()
    for prefix in ("whatsapp:", "sms:", "tel:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return _with_ninth_digit(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    )


def _with_ninth_digit(e164: str) -> str:
    """Brazilian mobiles gained a leading 9 in 2016, but WhatsApp still reports many older
    accounts without it ("+55 11 8765-4321"); adding it makes WhatsApp and SMS one contact."""
    national = e164[3:]
    if e164.startswith("+55") and len(national) == 10 and national[2] in "6789":
        return f"+55{national[:2]}9{national[2:]}"
    return e164


def from_wa_id(wa_id: str) -> str | None:
    """WhatsApp's wa_id is the full international number without the plus."""
    digits = wa_id.strip().lstrip("+")
    return to_e164("+" + digits) if digits.isdigit() else None


def company_e164(value: str) -> str:
    """A company's own number as the admin types it, strictly: it must carry its country code
    and be a valid number (a customer's may be looser, see `to_e164`). Raises ValueError with
    words the admin screen shows beside the field."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"{value!r} is not in E.164 (+, country code, number)") from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{value!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
