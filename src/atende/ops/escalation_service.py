"""Use cases of escalation: engaging levels (by the clocks or on demand), queueing the
notifications for their contacts, and recording acknowledgements, all in the timeline."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from atende.db.base import utcnow
from atende.errors import Problem
from atende.ops import whatsapp
from atende.ops.context import OpsContext
from atende.ops.escalation import LevelRule, level_due, next_escalation_at
from atende.ops.messages import escalation_email, escalation_payload
from atende.ops.models import EscalationLevel, Incident, IncidentEntry, Notification
from atende.ops.repository import FINISHED_STATUSES, OpsRepository
from atende.ops.sla import SlaPolicy, SlaStatus
from atende.ops.timeline import EntryKind

SYSTEM_ACTOR = "atende"


def new_entry(
    incident: Incident,
    kind: EntryKind,
    at: datetime,
    actor: str,
    data: dict[str, Any],
    *,
    public: bool = False,
) -> IncidentEntry:
    return IncidentEntry(
        incident_id=incident.id,
        kind=kind.value,
        at=at,
        actor=actor,
        data=data,
        public=public,
        recorded_at=utcnow(),
    )


class EscalationService:
    def __init__(self, repo: OpsRepository, context: OpsContext, now: datetime) -> None:
        self.repo = repo
        self.context = context
        self.now = now
        self._levels: list[EscalationLevel] | None = None

    async def levels(self) -> list[EscalationLevel]:
        if self._levels is None:
            self._levels = await self.repo.escalation_levels()
        return self._levels

    async def follow(
        self,
        incident: Incident,
        entries: list[IncidentEntry],
        sla: SlaStatus,
        policy: SlaPolicy,
    ) -> None:
        """Engage the levels the clocks call for, and set when to look again."""
        if incident.status in FINISHED_STATUSES:
            incident.next_escalation_at = None
            return
        levels = await self.levels()
        rules = [LevelRule(level.position, level.at_share) for level in levels]
        due = level_due(rules, sla)
        if due > incident.escalation_level:
            reason = "prazo do SLA consumido"
            await self.engage(incident, entries, sla, due, SYSTEM_ACTOR, reason, "sla")
        incident.next_escalation_at = next_escalation_at(
            rules, sla, policy, incident.escalation_level, self.now
        )

    async def on_demand(
        self,
        incident: Incident,
        entries: list[IncidentEntry],
        sla: SlaStatus,
        actor: str,
        reason: str,
    ) -> None:
        positions = [level.position for level in await self.levels()]
        higher = [position for position in positions if position > incident.escalation_level]
        if not higher:
            raise Problem(409, "Cannot escalate", "the incident is already at the last level")
        await self.engage(incident, entries, sla, min(higher), actor, reason, "on_demand")

    async def engage(
        self,
        incident: Incident,
        entries: list[IncidentEntry],
        sla: SlaStatus,
        target: int,
        actor: str,
        reason: str,
        trigger: str,
    ) -> None:
        """Each level between the current one and `target` is engaged and told, in order."""
        contacts = await self.repo.escalation_contacts()
        for level in await self.levels():
            if not incident.escalation_level < level.position <= target:
                continue
            data = {"level": level.position, "name": level.name, "trigger": trigger}
            entries.append(
                self._add(incident, EntryKind.ESCALATED, actor, {**data, "reason": reason})
            )
            if incident.imported:
                continue
            for contact in contacts.get(level.id, []):
                if contact.email:
                    await self._queue_email(
                        incident, entries, level, sla, contact.name, contact.email
                    )
                if contact.phone and self.context.settings.whatsapp_template:
                    await self._queue_whatsapp(
                        incident, entries, level, contact.name, contact.phone
                    )
            if level.webhook_url:
                await self._queue_webhook(incident, entries, level, sla)
        incident.escalation_level = max(incident.escalation_level, target)

    async def acknowledge(
        self, incident: Incident, entries: list[IncidentEntry], by: str, via: str
    ) -> None:
        data = {"level": incident.escalation_level, "by": by, "via": via}
        entries.append(self._add(incident, EntryKind.ACKNOWLEDGED, by, data))

    async def _queue_email(
        self,
        incident: Incident,
        entries: list[IncidentEntry],
        level: EscalationLevel,
        sla: SlaStatus,
        name: str,
        email: str,
    ) -> None:
        token = secrets.token_urlsafe(24)
        base = self.context.public_url
        subject, body = escalation_email(
            incident,
            level,
            sla,
            zone=self.context.settings.timezone,
            incident_url=f"{base}/api/incidents/{incident.sid}",
            ack_url=f"{base}/api/incidents/ack/{token}",
        )
        notification = Notification(
            incident_id=incident.id,
            channel="email",
            recipient=email,
            subject=subject,
            body=body,
            ack_token=token,
            next_attempt_at=self.now,
        )
        await self._queue(incident, entries, notification, level, name)

    async def _queue_webhook(
        self,
        incident: Incident,
        entries: list[IncidentEntry],
        level: EscalationLevel,
        sla: SlaStatus,
    ) -> None:
        assert level.webhook_url is not None
        notification = Notification(
            incident_id=incident.id,
            channel="webhook",
            recipient=level.webhook_url,
            subject="incident.escalated",
            body=json.dumps(escalation_payload(incident, level, sla)),
            next_attempt_at=self.now,
        )
        await self._queue(incident, entries, notification, level, level.name)

    async def _queue_whatsapp(
        self,
        incident: Incident,
        entries: list[IncidentEntry],
        level: EscalationLevel,
        name: str,
        phone: str,
    ) -> None:
        """A template that cannot be prepared is recorded as failed at once: retrying would
        not make Meta approve it."""
        settings = self.context.settings
        assert settings.whatsapp_template is not None
        template = (settings.whatsapp_template, settings.whatsapp_template_language)
        link = f"{self.context.public_url}/ops/incidents/{incident.sid}"
        try:
            prepared = await whatsapp.prepare(
                self.repo.session, template, incident, level, phone, link
            )
        except (Problem, ValueError) as refused:
            reason = refused.detail if isinstance(refused, Problem) else str(refused)
            data = {
                "level": level.position,
                "channel": "whatsapp",
                "recipient": phone,
                "contact": name,
                "error": reason,
            }
            entries.append(self._add(incident, EntryKind.NOTIFICATION_FAILED, SYSTEM_ACTOR, data))
            return
        notification = Notification(
            incident_id=incident.id,
            channel="whatsapp",
            recipient=prepared.recipient,
            subject=settings.whatsapp_template,
            body=prepared.body,
            next_attempt_at=self.now,
        )
        await self._queue(incident, entries, notification, level, name)

    async def _queue(
        self,
        incident: Incident,
        entries: list[IncidentEntry],
        notification: Notification,
        level: EscalationLevel,
        name: str,
    ) -> None:
        self.repo.add(notification)
        await self.repo.flush()
        data = {
            "level": level.position,
            "channel": notification.channel,
            "recipient": notification.recipient,
            "contact": name,
            "notification_id": notification.id,
        }
        entries.append(self._add(incident, EntryKind.NOTIFIED, SYSTEM_ACTOR, data))

    def _add(
        self, incident: Incident, kind: EntryKind, actor: str, data: dict[str, Any]
    ) -> IncidentEntry:
        entry = new_entry(incident, kind, self.now, actor, data)
        self.repo.add(entry)
        return entry
