"""Tables of the operations domain: incidents and their timeline, the support calendar's
closures, the escalation list, notifications, status components and access requests."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atende.auth.password_setup import PasswordSetupToken
from atende.db.base import Base, utcnow

# Kept by the ops migration branch (access approval issues these links); imported here so the
# shared metadata, and so Alembic, knows the table.
__all__ = ["PasswordSetupToken"]


class Incident(Base):
    """A support incident. Its clocks come from its timeline; the due times and the next
    escalation instant are copies kept for listing and for the escalation timer."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(34), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    component: Mapped[str] = mapped_column(String(40), default="")
    affected_users_pct: Mapped[float] = mapped_column(default=0.0)
    total_outage: Mapped[bool] = mapped_column(default=False)
    severity: Mapped[str] = mapped_column(String(10))
    proposed_severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="open")
    paused: Mapped[bool] = mapped_column(default=False)
    reporter: Mapped[str] = mapped_column(String(320), default="")
    owner: Mapped[str | None] = mapped_column(String(320), default=None)
    external_refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    escalation_level: Mapped[int] = mapped_column(default=1)
    next_escalation_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    response_due_at: Mapped[datetime | None] = mapped_column(default=None)
    restore_due_at: Mapped[datetime | None] = mapped_column(default=None)
    opened_at: Mapped[datetime] = mapped_column(index=True)
    response_started_at: Mapped[datetime | None] = mapped_column(default=None)
    restored_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    breach_reason: Mapped[str | None] = mapped_column(Text, default=None)
    public: Mapped[bool] = mapped_column(default=True)
    # Imported from the past: its escalations are recorded but nobody is notified.
    imported: Mapped[bool] = mapped_column(default=False)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IncidentEntry(Base):
    """One line of an incident's timeline: a change, a comment, a notification, an ack.

    `at` is when it happened (it may be in the past for imported incidents); `recorded_at`
    is when Atende learned of it."""

    __tablename__ = "incident_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(320), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    public: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_incident_entries_incident_at", "incident_id", "at"),)


class SupportClosure(Base):
    """The company's own table of closures, on top of the public holidays."""

    __tablename__ = "support_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    starts: Mapped[time | None] = mapped_column(default=None)
    ends: Mapped[time | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(String(200))


class EscalationLevel(Base):
    """A level of the escalation list; engaged when a clock reaches `at_share` of its target
    (`None`: only on demand)."""

    __tablename__ = "escalation_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120))
    at_share: Mapped[float | None] = mapped_column(default=None)
    webhook_url: Mapped[str | None] = mapped_column(Text, default=None)


class EscalationContact(Base):
    __tablename__ = "escalation_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_levels.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(320), default="")


class Notification(Base):
    """An e-mail or webhook waiting to go out, delivered (and retried) by the ops job."""

    __tablename__ = "ops_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), default=None, index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    ack_token: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_ops_notifications_due", "status", "next_attempt_at"),)


class StatusComponent(Base):
    """A part of the platform on the public status page."""

    __tablename__ = "status_components"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    # Set by a person (e.g. "under_maintenance"); `None` lets incidents decide.
    manual_status: Mapped[str | None] = mapped_column(String(30), default=None)
    check_url: Mapped[str | None] = mapped_column(Text, default=None)


class MaintenanceWindow(Base):
    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    component: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class AccessRequest(Base):
    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)
    team: Mapped[str] = mapped_column(String(200), default="")
    role_wanted: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(320), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str | None] = mapped_column(Text, default=None)
    user_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who did what to access and configuration, for the business-systems team's audit."""

    __tablename__ = "ops_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(320))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
