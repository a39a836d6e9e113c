"""Request and response shapes of the native incidents API (times in ISO 8601, UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from atende.ops.settings import OpsSettings
from atende.ops.severity import Severity
from atende.ops.sla import ClockStatus, SlaPolicy, SlaStatus


def _in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_in_utc)]
"""Every instant the API answers with is in UTC, whatever zone it was given in."""


class IncidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    severity: Severity | None = Field(
        default=None, description="omit to take the severity Atende proposes from the impact"
    )
    component: str = Field(default="", max_length=40)
    affected_users_pct: float = Field(default=0.0, ge=0, le=100)
    affected_users: int | None = Field(default=None, ge=0)
    total_outage: bool = False
    emergency: bool = False
    partial_interruption: bool = False
    degraded: bool = False
    opened_at: AwareDatetime | None = Field(
        default=None, description="when it began, for importing past incidents"
    )
    owner: str | None = None
    external_refs: list[str] = Field(default_factory=list)
    public: bool = True


class IncidentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    component: str | None = Field(default=None, max_length=40)
    owner: str | None = None
    breach_reason: str | None = None
    add_external_ref: str | None = Field(default=None, min_length=1, max_length=200)


class Action(BaseModel):
    """A change of state; `at` backdates it (never into the future)."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = None
    reason: str = ""


class PauseAction(Action):
    reason: str = Field(min_length=1, description="who or what support is waiting on")


class SeverityChange(Action):
    severity: Severity
    reason: str = Field(min_length=1)


class ImpactChange(Action):
    total_outage: bool


class CalendarChange(Action):
    calendar: str | None = Field(description="a calendar name, or null for the policy's choice")


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    public: bool = Field(default=False, description="shown on the public status page")
    at: AwareDatetime | None = None


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1)


def _seconds(value: timedelta) -> float:
    return value.total_seconds()


class ClockOut(BaseModel):
    state: str
    target_seconds: float
    elapsed_seconds: float
    remaining_seconds: float
    breached_by_seconds: float
    due_at: UtcDatetime | None
    stopped_at: UtcDatetime | None

    @classmethod
    def of(cls, clock: ClockStatus) -> ClockOut:
        return cls(
            state=clock.state.value,
            target_seconds=_seconds(clock.target),
            elapsed_seconds=_seconds(clock.elapsed),
            remaining_seconds=_seconds(clock.remaining),
            breached_by_seconds=_seconds(clock.breached_by),
            due_at=clock.due_at,
            stopped_at=clock.stopped_at,
        )


class SlaOut(BaseModel):
    severity: Severity
    calendar: str
    total_outage: bool
    paused: bool
    pause_reason: str | None
    response_due_at: UtcDatetime | None
    restore_due_at: UtcDatetime | None
    response: ClockOut
    restoration: ClockOut

    @classmethod
    def of(cls, sla: SlaStatus) -> SlaOut:
        return cls(
            severity=sla.severity,
            calendar=sla.calendar,
            total_outage=sla.total_outage,
            paused=sla.paused,
            pause_reason=sla.pause_reason,
            response_due_at=sla.response.due_at,
            restore_due_at=sla.restoration.due_at,
            response=ClockOut.of(sla.response),
            restoration=ClockOut.of(sla.restoration),
        )


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    at: UtcDatetime
    actor: str
    data: dict[str, Any]
    public: bool
    recorded_at: UtcDatetime


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sid: str
    title: str
    description: str
    component: str
    affected_users_pct: float
    total_outage: bool
    severity: Severity
    proposed_severity: Severity
    status: str
    paused: bool
    reporter: str
    owner: str | None
    external_refs: list[str]
    escalation_level: int
    next_escalation_at: UtcDatetime | None
    opened_at: UtcDatetime
    response_started_at: UtcDatetime | None
    restored_at: UtcDatetime | None
    resolved_at: UtcDatetime | None
    closed_at: UtcDatetime | None
    breach_reason: str | None
    public: bool
    sla: SlaOut
    timeline: list[EntryOut] | None = None


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    reason: str = Field(min_length=1, max_length=200)
    starts: time | None = None
    ends: time | None = None


class ClosureOut(ClosureIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    name: str = Field(min_length=1, max_length=200)
    role: str = ""
    phone: str = ""
    email: str = ""


class LevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    at_share: float | None = Field(
        default=None, gt=0, description="engage when a clock used this share of its target"
    )
    webhook_url: str | None = None
    contacts: list[ContactIn] = Field(default_factory=list)


class EscalationListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    levels: list[LevelIn] = Field(min_length=1, max_length=10)


class LevelOut(LevelIn):
    position: int


class EscalationListOut(BaseModel):
    levels: list[LevelOut]


class SeverityTargetOut(BaseModel):
    severity: Severity
    label: str
    response_target_seconds: float
    restore_target_seconds: float
    calendar: str


class SlaTableOut(BaseModel):
    """The SLA in force, as the about page and the desk show it."""

    severities: list[SeverityTargetOut]
    outage_calendar: str
    timezone: str
    opens: time
    closes: time
    weekdays: list[int]
    holidays: str

    @classmethod
    def of(cls, policy: SlaPolicy, settings: OpsSettings) -> SlaTableOut:
        hours = settings.support_hours
        return cls(
            severities=[
                SeverityTargetOut(
                    severity=severity,
                    label=severity.label,
                    response_target_seconds=_seconds(policy.targets[severity].response),
                    restore_target_seconds=_seconds(policy.targets[severity].restoration),
                    calendar=policy.calendar_by_severity[severity],
                )
                for severity in Severity
            ],
            outage_calendar=policy.outage_calendar,
            timezone=settings.timezone,
            opens=hours.opens,
            closes=hours.closes,
            weekdays=sorted(hours.weekdays),
            holidays=settings.holidays_subdivision,
        )


class DayOut(BaseModel):
    date: date
    uptime: float
    status: str


class ComponentOut(BaseModel):
    key: str
    name: str
    status: str
    status_label: str
    uptime_90d: float
    days: list[DayOut]


class UpdateOut(BaseModel):
    at: UtcDatetime
    text: str


class PublicIncidentOut(BaseModel):
    sid: str
    title: str
    severity: Severity
    status: str
    component: str
    opened_at: UtcDatetime
    restored_at: UtcDatetime | None
    updates: list[UpdateOut]


class MaintenanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    component: str
    title: str
    starts_at: UtcDatetime
    ends_at: UtcDatetime


class StatusPageOut(BaseModel):
    status: str
    status_label: str
    generated_at: UtcDatetime
    components: list[ComponentOut]
    incidents: list[PublicIncidentOut]
    maintenance: list[MaintenanceOut]


class MaintenanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    component: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class ComponentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120)
    position: int | None = None
    manual_status: str | None = Field(
        default=None, description="a status to show regardless of incidents; empty string clears"
    )
    check_url: str | None = Field(default=None, description="an external status URL to poll")


class StatusComponentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    name: str
    position: int
    manual_status: str | None
    check_url: str | None


class AccessRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str
    team: str
    role_wanted: str
    reason: str
    status: str
    decided_by: str | None
    decided_at: UtcDatetime | None
    decision_note: str | None
    user_id: int | None
    created_at: UtcDatetime


class AccessDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None = Field(default=None, description="grant another role than the one asked")
    note: str = ""


class ClockFiguresOut(BaseModel):
    target_seconds: float
    met: int
    breached: int
    pending: int
    share_within: float | None
    mean_seconds: float | None
    median_seconds: float | None


class SeverityFiguresOut(BaseModel):
    severity: Severity
    label: str
    incidents: int
    response: ClockFiguresOut
    restoration: ClockFiguresOut


class BreachOut(BaseModel):
    sid: str
    title: str
    severity: Severity
    clock: str
    breached_by_seconds: float
    reason: str


class MonthlyReportOut(BaseModel):
    month: str
    incidents: int
    severities: list[SeverityFiguresOut]
    breaches: list[BreachOut]
    generated_at: UtcDatetime
