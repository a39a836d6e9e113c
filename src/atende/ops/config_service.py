"""Use cases of the support configuration: the closures table, the escalation list and the
status page's components. Every change is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.errors import Problem
from atende.ops.models import (
    AuditEntry,
    EscalationContact,
    EscalationLevel,
    MaintenanceWindow,
    StatusComponent,
    SupportClosure,
)
from atende.ops.repository import OpsRepository
from atende.ops.schemas import (
    ClosureIn,
    ComponentIn,
    ContactIn,
    EscalationListIn,
    LevelIn,
    LevelOut,
    MaintenanceIn,
)
from atende.ops.uptime import ComponentStatus

# The contract's escalation list; contacts are the company's to fill in.
DEFAULT_LEVELS: tuple[tuple[str, float | None], ...] = (
    ("Suporte e prevenção", None),
    ("Coordenadores especialistas", 0.5),
    ("Gerência", 1.0),
    ("Diretoria", None),
)
DEFAULT_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("voice", "Voz"),
    ("whatsapp", "WhatsApp"),
    ("desk", "Mesa do agente"),
    ("routing", "Roteamento"),
    ("reports", "Relatórios"),
)


class SupportConfigService:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = OpsRepository(session)

    async def ensure_defaults(self) -> None:
        """A fresh install starts with the contract's escalation levels and the platform's
        components, so the status page and escalation work before anyone configures them."""
        if not await self.repo.escalation_levels():
            for position, (name, share) in enumerate(DEFAULT_LEVELS, start=1):
                self.repo.add(EscalationLevel(position=position, name=name, at_share=share))
        if not await self.repo.components():
            for position, (key, name) in enumerate(DEFAULT_COMPONENTS):
                self.repo.add(StatusComponent(key=key, name=name, position=position))

    async def add_closure(self, closure: ClosureIn, actor: str) -> SupportClosure:
        if closure.starts and closure.ends and closure.ends <= closure.starts:
            raise Problem(422, "Invalid closure", "ends: must be after starts")
        row = SupportClosure(**closure.model_dump())
        self.repo.add(row)
        await self.repo.flush()
        self._audit("closures", "added", actor, {**closure.model_dump(mode="json"), "id": row.id})
        return row

    async def remove_closure(self, closure_id: int, actor: str) -> None:
        row = await self.repo.closure(closure_id)
        if row is None:
            raise Problem(404, "Not found", f"no closure {closure_id}")
        await self.repo.delete(row)
        self._audit("closures", "removed", actor, {"id": closure_id, "day": row.day.isoformat()})

    async def escalation_list(self) -> list[LevelOut]:
        contacts = await self.repo.escalation_contacts()
        return [
            LevelOut(
                position=level.position,
                name=level.name,
                at_share=level.at_share,
                webhook_url=level.webhook_url,
                contacts=[ContactIn.model_validate(c) for c in contacts.get(level.id, [])],
            )
            for level in await self.repo.escalation_levels()
        ]

    async def replace_escalation_list(self, new: EscalationListIn, actor: str) -> list[LevelOut]:
        await self.repo.clear_escalation_list()
        for position, level in enumerate(new.levels, start=1):
            await self._add_level(position, level)
        self._audit("escalation", "replaced", actor, new.model_dump(mode="json"))
        return await self.escalation_list()

    async def _add_level(self, position: int, level: LevelIn) -> None:
        row = EscalationLevel(
            position=position,
            name=level.name,
            at_share=level.at_share,
            webhook_url=level.webhook_url,
        )
        self.repo.add(row)
        await self.repo.flush()
        for contact in level.contacts:
            self.repo.add(EscalationContact(level_id=row.id, **contact.model_dump()))

    async def put_component(self, key: str, changes: ComponentIn, actor: str) -> StatusComponent:
        """Create or change a component of the status page."""
        component = await self.repo.component(key)
        if component is None:
            if not changes.name:
                raise Problem(422, "Invalid component", "name: is required for a new component")
            component = StatusComponent(key=key, name=changes.name, position=changes.position or 0)
            self.repo.add(component)
        if changes.manual_status is not None:
            status = changes.manual_status or None
            if status is not None and status not in set(ComponentStatus):
                raise Problem(422, "Invalid component", f"manual_status: unknown status {status!r}")
            component.manual_status = status
        if changes.name:
            component.name = changes.name
        if changes.position is not None:
            component.position = changes.position
        if changes.check_url is not None:
            component.check_url = changes.check_url or None
        self._audit(
            "components", "changed", actor, {"key": key, **changes.model_dump(exclude_none=True)}
        )
        await self.repo.flush()
        return component

    async def add_maintenance(self, window: MaintenanceIn, actor: str) -> MaintenanceWindow:
        if window.ends_at <= window.starts_at:
            raise Problem(422, "Invalid maintenance", "ends_at: must be after starts_at")
        if await self.repo.component(window.component) is None:
            raise Problem(422, "Invalid maintenance", f"component: unknown {window.component!r}")
        row = MaintenanceWindow(**window.model_dump())
        self.repo.add(row)
        await self.repo.flush()
        self._audit(
            "maintenance", "scheduled", actor, {**window.model_dump(mode="json"), "id": row.id}
        )
        return row

    async def remove_maintenance(self, window_id: int, actor: str) -> None:
        row = await self.repo.maintenance_window(window_id)
        if row is None:
            raise Problem(404, "Not found", f"no maintenance window {window_id}")
        await self.repo.delete(row)
        self._audit("maintenance", "removed", actor, {"id": window_id})

    def _audit(self, subject: str, action: str, actor: str, data: dict[str, Any]) -> None:
        self.repo.add(AuditEntry(subject=subject, action=action, actor=actor, data=data))
