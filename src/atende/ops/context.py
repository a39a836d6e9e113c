"""What the operations domain keeps for the life of a node (in `runtime.services["ops"]`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from atende.db.base import utcnow
from atende.ops.calendar import Closure
from atende.ops.models import SupportClosure
from atende.ops.policy_store import PolicyStore
from atende.ops.repository import OpsRepository
from atende.ops.settings import OpsSettings
from atende.ops.sla import SlaPolicy

SERVICE_KEY = "ops"


@dataclass
class OpsContext:
    settings: OpsSettings
    public_url: str
    allowed_email_domains: tuple[str, ...] = ()
    clock: Callable[[], datetime] = utcnow
    policies: PolicyStore = field(init=False)

    def __post_init__(self) -> None:
        self.policies = PolicyStore(self.settings)

    async def policy(self, repo: OpsRepository) -> SlaPolicy:
        return self.policies.policy([as_closure(row) for row in await repo.closures()])


def as_closure(row: SupportClosure) -> Closure:
    return Closure(day=row.day, reason=row.reason, starts=row.starts, ends=row.ends)
