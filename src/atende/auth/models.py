"""Who may use Atende: API accounts (TaskRouter Basic auth), bearer tokens, users and sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, utcnow


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {Role.AGENT: 0, Role.SUPERVISOR: 1, Role.ADMIN: 2}[self]


class Account(Base):
    """An API account: its SID and token are the HTTP Basic credentials of `/v1/…`."""

    __tablename__ = "accounts"

    sid: Mapped[str] = mapped_column(String(34), primary_key=True)
    friendly_name: Mapped[str] = mapped_column(String(200))
    # Tokens are 32 random bytes, so a fast digest is enough (argon2 would cost ~50 ms a request).
    auth_token_digest: Mapped[str] = mapped_column(String(64))
    date_created: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    workspace_sid: Mapped[str | None] = mapped_column(String(34), default=None)
    worker_sid: Mapped[str | None] = mapped_column(String(34), default=None, index=True)
    language: Mapped[str] = mapped_column(String(10), default="pt-BR")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    # Bumped by "sign out everywhere": sessions issued under an older generation stop working.
    session_generation: Mapped[int] = mapped_column(default=0)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token for the native API (`atende token create`)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A browser session; the cookie holds the token, the table only its digest."""

    __tablename__ = "web_sessions"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
