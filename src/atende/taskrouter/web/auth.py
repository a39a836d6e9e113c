"""HTTP Basic with an account's SID and token (`atende account create`), as Twilio clients send."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth import secrets
from atende.auth.service import AuthService
from atende.deps import RuntimeDep, get_db
from atende.taskrouter.errors import unauthenticated

# The session ends (commits) before the response is sent: a client that got a 2xx can rely on
# the change being stored, and its next request sees it.
Session = Annotated[AsyncSession, Depends(get_db, scope="function")]


def _credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, password = decoded.partition(":")
    return (username, password) if separator else None


class VerifiedCredentials:
    """Credentials checked in the last minute, so a busy client costs no query per request.

    Only the token's digest is kept. Accounts cannot be revoked yet; when they can, revoking
    must clear this (or wait out `TTL`)."""

    TTL = 60.0

    def __init__(self) -> None:
        self._until: dict[tuple[str, str], float] = {}

    def known(self, sid: str, token: str) -> bool:
        until = self._until.get((sid, secrets.digest(token)))
        return until is not None and until > time.monotonic()

    def remember(self, sid: str, token: str) -> None:
        now = time.monotonic()
        if len(self._until) > 10_000:
            self._until = {key: until for key, until in self._until.items() if until > now}
        self._until[(sid, secrets.digest(token))] = now + self.TTL


async def account_sid(request: Request, session: Session, runtime: RuntimeDep) -> str:
    credentials = _credentials(request)
    if credentials is None:
        raise unauthenticated()
    verified: VerifiedCredentials = runtime.services.setdefault(
        "taskrouter.credentials", VerifiedCredentials()
    )
    if verified.known(*credentials):
        return credentials[0]
    account = await AuthService(session).check_account(*credentials)
    if account is None:
        raise unauthenticated()
    verified.remember(*credentials)
    return account.sid


AccountSid = Annotated[str, Depends(account_sid)]
