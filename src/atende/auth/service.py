"""Use cases of the auth domain: creating credentials and resolving them to a principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth import secrets
from atende.auth.models import Account, ApiToken, Role, User, WebSession
from atende.auth.principal import Principal
from atende.auth.repository import AuthRepository
from atende.db.base import utcnow
from atende.sids import new_sid

SESSION_LIFETIME = timedelta(hours=12)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class AuthError(Exception):
    """A credential problem the caller can act on; the message is safe to show."""


@dataclass(frozen=True)
class NewAccount:
    account_sid: str
    auth_token: str


class AuthService:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = AuthRepository(session)

    async def create_account(self, friendly_name: str) -> NewAccount:
        token = secrets.new_token()
        sid = new_sid("AC")
        self.repo.add(
            Account(sid=sid, friendly_name=friendly_name, auth_token_digest=secrets.digest(token))
        )
        return NewAccount(account_sid=sid, auth_token=token)

    async def check_account(self, sid: str, token: str) -> Account | None:
        account = await self.repo.account(sid)
        if account is None or not secrets.same_digest(token, account.auth_token_digest):
            return None
        return account

    async def create_token(self, name: str, role: Role, user_id: int | None = None) -> str:
        token = secrets.new_token()
        self.repo.add(
            ApiToken(
                name=name, role=role.value, token_digest=secrets.digest(token), user_id=user_id
            )
        )
        return token

    async def principal_for_token(self, token: str) -> Principal | None:
        row = await self.repo.token_by_digest(secrets.digest(token))
        if row is None:
            return None
        user = await self.repo.user(row.user_id) if row.user_id is not None else None
        if user is not None and not user.active:
            return None
        return Principal(
            role=Role(row.role),
            name=row.name,
            user_id=row.user_id,
            worker_sid=user.worker_sid if user else None,
            workspace_sid=user.workspace_sid if user else None,
        )

    async def create_user(
        self,
        email: str,
        role: Role,
        password: str | None = None,
        display_name: str = "",
        workspace_sid: str | None = None,
        worker_sid: str | None = None,
        password_hash: str | None = None,
    ) -> User:
        """`password_hash` lets a caller creating many users with one password (the demo)
        hash it once: argon2 is deliberately slow."""
        email = email.strip().lower()
        if "@" not in email:
            raise AuthError(f"not an e-mail address: {email!r}")
        if await self.repo.user_by_email(email) is not None:
            raise AuthError(f"a user with e-mail {email} already exists")
        user = User(
            email=email,
            role=role.value,
            display_name=display_name or email.split("@")[0],
            password_hash=password_hash or (secrets.hash_password(password) if password else None),
            workspace_sid=workspace_sid,
            worker_sid=worker_sid,
        )
        self.repo.add(user)
        await self.repo.session.flush()
        return user

    async def sign_in(self, email: str, password: str) -> tuple[User, str]:
        """Returns the user and a new session token; locks the login after repeated failures."""
        user = await self.repo.user_by_email(email.strip().lower())
        now = utcnow()
        if user is None or not user.active:
            raise AuthError("e-mail ou senha incorretos")
        if user.locked_until is not None and user.locked_until > now:
            raise AuthError("muitas tentativas; tente novamente mais tarde")
        if not secrets.password_matches(password, user.password_hash):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
            raise AuthError("e-mail ou senha incorretos")
        user.failed_logins = 0
        user.locked_until = None
        return user, await self.open_session(user)

    async def open_session(self, user: User) -> str:
        token = secrets.new_token()
        self.repo.add(
            WebSession(
                token_digest=secrets.digest(token),
                user_id=user.id,
                csrf_token=secrets.new_token(),
                generation=user.session_generation,
                expires_at=utcnow() + SESSION_LIFETIME,
            )
        )
        return token

    async def principal_for_session(self, token: str) -> Principal | None:
        row = await self.repo.web_session(secrets.digest(token))
        if row is None or row.expires_at <= utcnow():
            return None
        user = await self.repo.user(row.user_id)
        if user is None or not user.active or user.session_generation != row.generation:
            return None
        return Principal(
            role=Role(user.role),
            name=user.email,
            user_id=user.id,
            worker_sid=user.worker_sid,
            workspace_sid=user.workspace_sid,
            csrf_token=row.csrf_token,
        )

    async def sign_out(self, token: str) -> None:
        row = await self.repo.web_session(secrets.digest(token))
        if row is not None:
            await self.repo.session.delete(row)

    async def sign_out_everywhere(self, user_id: int) -> None:
        user = await self.repo.user(user_id)
        if user is not None:
            user.session_generation += 1
