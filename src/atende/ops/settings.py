"""Settings of the operations domain read from `ATENDE_*` variables: the support hours and
holidays of the SLA calendar, the SMTP server escalation e-mails go through, and the approved
WhatsApp template escalation uses (none: escalation sends no WhatsApp)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from atende.ops.calendar import SAO_PAULO, SAO_PAULO_CAPITAL, WorkingHours


@dataclass(frozen=True)
class OpsSettings:
    support_hours: WorkingHours = field(default_factory=WorkingHours)
    holidays_subdivision: str = SAO_PAULO_CAPITAL
    timezone: str = SAO_PAULO
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "atende@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    escalation_tick_seconds: float = 15.0
    health_interval_seconds: float = 60.0
    about_file: str | None = None
    whatsapp_template: str | None = None
    whatsapp_template_language: str = "pt_BR"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, timezone: str = SAO_PAULO
    ) -> OpsSettings:
        env = os.environ if environ is None else environ

        def opt(name: str) -> str | None:
            return env.get(f"ATENDE_{name}", "").strip() or None

        hours = opt("SUPPORT_HOURS")
        return cls(
            support_hours=_parse_hours(hours) if hours else WorkingHours(),
            holidays_subdivision=opt("SUPPORT_HOLIDAYS") or SAO_PAULO_CAPITAL,
            timezone=timezone,
            smtp_host=opt("SMTP_HOST"),
            smtp_port=int(opt("SMTP_PORT") or 25),
            smtp_sender=opt("SMTP_FROM") or "atende@localhost",
            smtp_user=opt("SMTP_USER"),
            smtp_password=opt("SMTP_PASSWORD"),
            smtp_starttls=(opt("SMTP_STARTTLS") or "").lower() in {"1", "true", "yes"},
            about_file=opt("ABOUT_FILE"),
            whatsapp_template=opt("ESCALATION_WHATSAPP_TEMPLATE"),
            whatsapp_template_language=opt("ESCALATION_WHATSAPP_LANGUAGE") or "pt_BR",
        )


def _parse_hours(text: str) -> WorkingHours:
    """`09:00-18:00`, optionally followed by the working weekdays: `08:00-20:00 mon-sat`."""
    span, _, days = text.partition(" ")
    opens, _, closes = span.partition("-")
    weekdays = frozenset(range(5))
    if days.strip():
        first, _, last = days.strip().lower().partition("-")
        weekdays = frozenset(range(_DAYS.index(first), _DAYS.index(last or first) + 1))
    return WorkingHours(time.fromisoformat(opens), time.fromisoformat(closes), weekdays)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
