"""Credential generation and checking in one place, so every credential is made the same way."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def configure_password_hashing(time_cost: int, memory_cost_kib: int) -> None:
    """argon2's cost is a deployment choice: the defaults (~0.4 s a hash on a small machine)
    suit production; test suites that create hundreds of users choose a cheaper one."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_digest(token: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(token), expected_digest)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
