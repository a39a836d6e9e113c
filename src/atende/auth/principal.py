"""Who is asking: the identity every endpoint checks before it acts."""

from __future__ import annotations

from dataclasses import dataclass

from atende.auth.models import Role


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    name: str
    user_id: int | None = None
    worker_sid: str | None = None
    workspace_sid: str | None = None
    csrf_token: str | None = None

    def at_least(self, role: Role) -> bool:
        return self.role.rank >= role.rank
