"""Every query of the auth domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.models import Account, ApiToken, User, WebSession


class AuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def account(self, sid: str) -> Account | None:
        return await self.session.get(Account, sid)

    async def token_by_digest(self, token_digest: str) -> ApiToken | None:
        result = await self.session.execute(
            select(ApiToken).where(ApiToken.token_digest == token_digest)
        )
        return result.scalar_one_or_none()

    async def user_by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email == email.lower()))
        return result.scalar_one_or_none()

    async def user(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def web_session(self, token_digest: str) -> WebSession | None:
        return await self.session.get(WebSession, token_digest)

    def add(self, row: Account | ApiToken | User | WebSession) -> None:
        self.session.add(row)
