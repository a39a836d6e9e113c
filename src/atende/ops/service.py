"""Use cases of support incidents: opening one, every change of its state, and keeping the
copies of its clocks (due times, next escalation) in step with its timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.errors import Problem
from atende.ops.context import OpsContext
from atende.ops.escalation_service import EscalationService, new_entry
from atende.ops.models import Incident, IncidentEntry
from atende.ops.repository import OpsRepository
from atende.ops.schemas import IncidentCreate, IncidentUpdate
from atende.ops.severity import Impact, Severity, propose_severity
from atende.ops.sla import SlaPolicy, SlaStatus, sla_status
from atende.ops.timeline import EntryKind, to_history
from atende.sids import new_sid

# An incident opened longer ago than this is being imported: record, don't notify.
IMPORT_AGE = timedelta(hours=1)

OPEN, IN_PROGRESS, RESTORED, RESOLVED, CLOSED = (
    "open",
    "in_progress",
    "restored",
    "resolved",
    "closed",
)
ACTIVE = frozenset({OPEN, IN_PROGRESS})

# Lifecycle changes: the statuses they may start from and the status they lead to.
_TRANSITIONS: dict[EntryKind, tuple[frozenset[str], str]] = {
    EntryKind.RESPONSE_STARTED: (frozenset({OPEN}), IN_PROGRESS),
    EntryKind.RESTORED: (ACTIVE, RESTORED),
    EntryKind.RESOLVED: (ACTIVE | {RESTORED}, RESOLVED),
    EntryKind.CLOSED: (ACTIVE | {RESTORED, RESOLVED}, CLOSED),
    EntryKind.REOPENED: (frozenset({RESTORED, RESOLVED, CLOSED}), OPEN),
}
_CLOCK_KINDS = frozenset(
    {
        EntryKind.OPENED,
        EntryKind.SEVERITY_CHANGED,
        EntryKind.TOTAL_OUTAGE_CHANGED,
        EntryKind.PAUSED,
        EntryKind.RESUMED,
        EntryKind.CALENDAR_CHANGED,
        *_TRANSITIONS,
    }
)


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    entries: list[IncidentEntry]
    sla: SlaStatus


class IncidentService:
    def __init__(
        self, session: AsyncSession, context: OpsContext, now: datetime | None = None
    ) -> None:
        self.repo = OpsRepository(session)
        self.context = context
        self.now = now or context.clock()
        self.escalation = EscalationService(self.repo, context, self.now)
        self._policy: SlaPolicy | None = None

    async def policy(self) -> SlaPolicy:
        if self._policy is None:
            self._policy = await self.context.policy(self.repo)
        return self._policy

    async def open(self, form: IncidentCreate, reporter: str) -> IncidentView:
        opened_at = (form.opened_at or self.now).astimezone(UTC)
        if opened_at > self.now:
            raise Problem(422, "Invalid incident", "opened_at: is in the future")
        impact = Impact(
            affected_users_pct=form.affected_users_pct,
            total_outage=form.total_outage,
            emergency=form.emergency,
            affected_users=form.affected_users,
            partial_interruption=form.partial_interruption,
            degraded=form.degraded,
        )
        proposal = propose_severity(impact)
        severity = form.severity or proposal.severity
        incident = Incident(
            sid=new_sid("IN"),
            title=form.title,
            description=form.description,
            component=form.component,
            affected_users_pct=form.affected_users_pct,
            total_outage=form.total_outage,
            severity=severity.value,
            proposed_severity=proposal.severity.value,
            status=OPEN,
            paused=False,
            reporter=reporter,
            owner=form.owner,
            external_refs=list(form.external_refs),
            escalation_level=1,
            opened_at=opened_at,
            public=form.public,
            imported=self.now - opened_at > IMPORT_AGE,
        )
        self.repo.add(incident)
        await self.repo.flush()
        data = {
            "severity": severity.value,
            "total_outage": form.total_outage,
            "proposed_severity": proposal.severity.value,
            "proposal_reason": proposal.reason,
        }
        entry = new_entry(incident, EntryKind.OPENED, opened_at, reporter, data)
        self.repo.add(entry)
        return await self._refresh(incident, [entry])

    async def view(self, sid: str, at: datetime | None = None) -> IncidentView:
        incident = await self._incident(sid)
        entries = await self.repo.entries(incident.id)
        sla = sla_status(to_history(entries), await self.policy(), at or self.now)
        return IncidentView(incident, entries, sla)

    async def incidents(
        self, *, statuses: Sequence[str] = (), component: str | None = None, limit: int = 100
    ) -> list[IncidentView]:
        incidents = await self.repo.incidents(statuses=statuses, component=component, limit=limit)
        entries = await self.repo.entries_of([incident.id for incident in incidents])
        policy = await self.policy()
        return [
            IncidentView(
                incident,
                entries[incident.id],
                sla_status(to_history(entries[incident.id]), policy, self.now),
            )
            for incident in incidents
        ]

    async def act(
        self,
        sid: str,
        kind: EntryKind,
        actor: str,
        *,
        at: datetime | None = None,
        data: dict[str, Any] | None = None,
        public: bool = False,
    ) -> IncidentView:
        """Record a change of state (or a comment) at `at`, then follow the clocks."""
        incident = await self._incident(sid)
        entries = await self.repo.entries(incident.id)
        when = self._when(incident, entries, at, kind)
        data = data or {}
        await self._apply(incident, kind, when, data)
        entry = new_entry(incident, kind, when, actor, data, public=public)
        self.repo.add(entry)
        entries.append(entry)
        return await self._refresh(incident, entries)

    async def update(self, sid: str, changes: IncidentUpdate, actor: str) -> IncidentView:
        incident = await self._incident(sid)
        entries = await self.repo.entries(incident.id)
        edited: dict[str, Any] = {}
        for name in ("title", "description", "component", "breach_reason"):
            value = getattr(changes, name)
            if value is not None and value != getattr(incident, name):
                setattr(incident, name, value)
                edited[name] = value
        if edited:
            entries.append(self._note(incident, EntryKind.EDITED, actor, edited))
        if changes.owner is not None and changes.owner != incident.owner:
            incident.owner = changes.owner
            entries.append(
                self._note(incident, EntryKind.OWNER_CHANGED, actor, {"owner": changes.owner})
            )
        ref = changes.add_external_ref
        if ref is not None and ref not in incident.external_refs:
            incident.external_refs = [*incident.external_refs, ref]
            entries.append(self._note(incident, EntryKind.EXTERNAL_REF_ADDED, actor, {"ref": ref}))
        return await self._refresh(incident, entries)

    async def escalate(self, sid: str, actor: str, reason: str) -> IncidentView:
        view = await self.view(sid)
        if view.incident.status not in ACTIVE:
            raise Problem(409, "Cannot escalate", f"the incident is {view.incident.status}")
        await self.escalation.on_demand(view.incident, view.entries, view.sla, actor, reason)
        return await self._refresh(view.incident, view.entries)

    async def acknowledge(self, sid: str, by: str, via: str) -> IncidentView:
        view = await self.view(sid)
        await self.escalation.acknowledge(view.incident, view.entries, by, via)
        return view

    async def acknowledge_token(self, token: str) -> IncidentView:
        notification = await self.repo.notification_by_ack_token(token)
        incident = None
        if notification is not None and notification.incident_id is not None:
            incident = await self.repo.incident_by_id(notification.incident_id)
        if notification is None or incident is None:
            raise Problem(404, "Not found", "unknown or expired acknowledgement link")
        return await self.acknowledge(incident.sid, notification.recipient, "email")

    async def follow_clocks(self, incident: Incident) -> None:
        """Re-read the clocks of an incident whose escalation timer is due."""
        await self._refresh(incident, await self.repo.entries(incident.id))

    async def _refresh(self, incident: Incident, entries: list[IncidentEntry]) -> IncidentView:
        policy = await self.policy()
        sla = sla_status(to_history(entries), policy, self.now)
        incident.response_due_at = sla.response.due_at
        incident.restore_due_at = sla.restoration.due_at
        await self.escalation.follow(incident, entries, sla, policy)
        return IncidentView(incident, entries, sla)

    async def _incident(self, sid: str) -> Incident:
        incident = await self.repo.incident(sid)
        if incident is None:
            raise Problem(404, "Not found", f"no incident {sid}")
        return incident

    def _when(
        self, incident: Incident, entries: list[IncidentEntry], at: datetime | None, kind: EntryKind
    ) -> datetime:
        when = (at or self.now).astimezone(UTC)
        if when > self.now:
            raise Problem(422, "Invalid time", "at: is in the future")
        if kind in _CLOCK_KINDS:
            latest = max(entry.at for entry in entries if entry.kind in _CLOCK_KINDS)
            if when < latest:
                raise Problem(
                    422,
                    "Invalid time",
                    f"at: is before the incident's last change ({latest.isoformat()})",
                )
        elif when < incident.opened_at:
            raise Problem(422, "Invalid time", "at: is before the incident was opened")
        return when

    async def _apply(
        self, incident: Incident, kind: EntryKind, when: datetime, data: dict[str, Any]
    ) -> None:
        """Check that the change makes sense now and copy it onto the incident's columns."""
        if kind in _TRANSITIONS:
            self._transition(incident, kind, when)
        elif kind is EntryKind.PAUSED:
            if incident.status not in ACTIVE or incident.paused:
                raise _conflict(f"cannot pause an incident that is {_state(incident)}")
            incident.paused = True
        elif kind is EntryKind.RESUMED:
            if not incident.paused:
                raise _conflict("the incident is not paused")
            incident.paused = False
        elif kind is EntryKind.SEVERITY_CHANGED:
            severity = Severity(data["severity"])
            if incident.status == CLOSED or severity.value == incident.severity:
                raise _conflict(f"the incident is {_state(incident)}, severity {incident.severity}")
            data["previous"] = incident.severity
            incident.severity = severity.value
        elif kind is EntryKind.TOTAL_OUTAGE_CHANGED:
            if bool(data["total_outage"]) == incident.total_outage:
                raise _conflict("the total outage flag already has that value")
            incident.total_outage = bool(data["total_outage"])
        elif kind is EntryKind.CALENDAR_CHANGED and data.get("calendar") is not None:
            try:
                (await self.policy()).calendar(str(data["calendar"]))
            except ValueError as exc:
                raise Problem(422, "Invalid calendar", f"calendar: {exc}") from None

    def _transition(self, incident: Incident, kind: EntryKind, when: datetime) -> None:
        allowed_from, target = _TRANSITIONS[kind]
        if incident.status not in allowed_from:
            raise _conflict(f"cannot record {kind.value} on an incident that is {incident.status}")
        if kind is EntryKind.REOPENED:
            incident.status = IN_PROGRESS if incident.response_started_at else OPEN
            incident.restored_at = incident.resolved_at = incident.closed_at = None
            incident.paused = False
            return
        incident.status = target
        if incident.response_started_at is None:
            incident.response_started_at = when
        if target in (RESTORED, RESOLVED, CLOSED):
            incident.paused = False
            incident.restored_at = incident.restored_at or when
        if target == RESOLVED:
            incident.resolved_at = when
        if target == CLOSED:
            incident.closed_at = when

    def _note(
        self, incident: Incident, kind: EntryKind, actor: str, data: dict[str, Any]
    ) -> IncidentEntry:
        entry = new_entry(incident, kind, self.now, actor, data)
        self.repo.add(entry)
        return entry


def _state(incident: Incident) -> str:
    return f"{incident.status}{' (paused)' if incident.paused else ''}"


def _conflict(detail: str) -> Problem:
    return Problem(409, "Conflict", detail)
