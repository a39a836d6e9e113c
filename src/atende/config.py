"""Settings read from the environment, so one deployment is configured in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in value.split(",") if part.strip())


def _default_database_url() -> str:
    return f"sqlite:///{Path('var').absolute() / 'atende.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything a node needs to know; built from `ATENDE_*` variables by `from_env`."""

    database_url: str = field(default_factory=_default_database_url)
    redis_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    allowed_email_domains: tuple[str, ...] = ()
    twilio_api_base: str = "https://api.twilio.com"
    whatsapp_graph_base: str = "https://graph.facebook.com"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_number: str | None = None
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    whatsapp_access_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    default_workflow_sid: str | None = None
    # Sites allowed to embed the web chat widget (browser origins); empty admits every site.
    webchat_origins: tuple[str, ...] = ()
    timezone: str = "America/Sao_Paulo"
    # How long a signed link to a conversation's media opens its file (atende.conversations.
    # media_links); 24 h by default.
    media_link_seconds: int = 86_400
    # Background loops (timers, outbox) can be switched off for tests that drive them by hand.
    run_background: bool = True

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if environ is None else environ)

        def opt(name: str) -> str | None:
            value = env.get(f"ATENDE_{name}", "").strip()
            return value or None

        values: dict[str, object] = {
            "redis_url": opt("REDIS_URL"),
            "allowed_email_domains": _split(env.get("ATENDE_ALLOWED_EMAIL_DOMAINS", "")),
            "twilio_account_sid": opt("TWILIO_ACCOUNT_SID"),
            "twilio_auth_token": opt("TWILIO_AUTH_TOKEN"),
            "twilio_number": opt("TWILIO_NUMBER"),
            "whatsapp_app_secret": opt("WHATSAPP_APP_SECRET"),
            "whatsapp_verify_token": opt("WHATSAPP_VERIFY_TOKEN"),
            "whatsapp_access_token": opt("WHATSAPP_ACCESS_TOKEN"),
            "whatsapp_phone_number_id": opt("WHATSAPP_PHONE_NUMBER_ID"),
            "default_workflow_sid": opt("DEFAULT_WORKFLOW_SID"),
            "webchat_origins": _split(env.get("ATENDE_WEBCHAT_ORIGINS", "")),
        }
        for name, key in (
            ("database_url", "DATABASE_URL"),
            ("public_url", "PUBLIC_URL"),
            ("secret_key", "SECRET_KEY"),
            ("twilio_api_base", "TWILIO_API_BASE"),
            ("whatsapp_graph_base", "WHATSAPP_GRAPH_BASE"),
            ("timezone", "TIMEZONE"),
        ):
            value = opt(key)
            if value is not None:
                values[name] = value.rstrip("/") if name.endswith(("_base", "_url")) else value
        link_seconds = opt("MEDIA_LINK_SECONDS")
        if link_seconds is not None:
            if not link_seconds.isdigit() or int(link_seconds) == 0:
                raise ValueError(
                    f"ATENDE_MEDIA_LINK_SECONDS: {link_seconds!r} is not a positive whole number"
                )
            values["media_link_seconds"] = int(link_seconds)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def email_allowed(self, email: str) -> bool:
        """An empty allow-list admits every domain (a fresh install must be usable)."""
        domain = email.rsplit("@", 1)[-1].strip().lower()
        return not self.allowed_email_domains or domain in self.allowed_email_domains
