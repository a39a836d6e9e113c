"""One-time links to set a password, for accounts created without one (an approved access
request when no SSO is configured).

Only a digest of the token is stored, so reading the table does not let anyone in; a link
works once, until it expires, and only for an account that still has no password (an admin who
set one meanwhile wins)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from atende.auth import secrets
from atende.auth.models import User
from atende.db.base import Base, utcnow

SETUP_LIFETIME = timedelta(days=3)
MIN_PASSWORD_LENGTH = 10


class PasswordSetupToken(Base):
    __tablename__ = "password_setup_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SetupRefused(Exception):
    """Why the link or the password cannot be used, in pt-BR for the page."""


class PasswordSetup:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def issue(self, user_id: int, now: datetime) -> tuple[str, datetime]:
        """A new link token for the user and when it expires; only its digest is kept."""
        token = secrets.new_token()
        expires_at = now + SETUP_LIFETIME
        self.session.add(
            PasswordSetupToken(
                user_id=user_id,
                token_digest=secrets.digest(token),
                expires_at=expires_at,
                created_at=now,
            )
        )
        await self.session.flush()
        return token, expires_at

    async def user_for(self, token: str, now: datetime) -> User:
        """The account a link sets the password of; raises SetupRefused if it cannot."""
        row = await self._row(token)
        if row is None or row.used_at is not None:
            raise SetupRefused("Este link já foi usado ou não é válido.")
        if row.expires_at <= now:
            raise SetupRefused("Este link expirou. Peça um novo ao administrador.")
        user = await self.session.get(User, row.user_id)
        if user is None or not user.active:
            raise SetupRefused("Esta conta não está ativa.")
        if user.password_hash:
            raise SetupRefused("Esta conta já tem senha. Entre com ela.")
        return user

    async def redeem(self, token: str, password: str, confirmation: str, now: datetime) -> User:
        user = await self.user_for(token, now)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise SetupRefused(f"A senha precisa de pelo menos {MIN_PASSWORD_LENGTH} caracteres.")
        if password != confirmation:
            raise SetupRefused("As duas senhas não são iguais.")
        user.password_hash = secrets.hash_password(password)
        row = await self._row(token)
        assert row is not None  # user_for found it
        row.used_at = now
        await self.session.flush()
        return user

    async def _row(self, token: str) -> PasswordSetupToken | None:
        query = select(PasswordSetupToken).where(
            PasswordSetupToken.token_digest == secrets.digest(token)
        )
        row: PasswordSetupToken | None = await self.session.scalar(query)
        return row
