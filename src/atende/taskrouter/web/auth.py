"""HTTP Basic with an account's SID and token (`atende account create`), as Twilio clients send."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.service import AuthService
from atende.deps import get_db
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


async def account_sid(request: Request, session: Session) -> str:
    credentials = _credentials(request)
    if credentials is None:
        raise unauthenticated()
    account = await AuthService(session).check_account(*credentials)
    if account is None:
        raise unauthenticated()
    return account.sid


AccountSid = Annotated[str, Depends(account_sid)]
