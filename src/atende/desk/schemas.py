"""Request and response shapes of the desk's JSON endpoints."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from atende.desk.i18n import LANGUAGES

Text120 = Field(min_length=1, max_length=120)


class DispositionIn(BaseModel):
    label: str = Text120
    code: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,60}$")


class DispositionPatch(BaseModel):
    label: str | None = Field(default=None, min_length=1, max_length=120)
    position: int | None = Field(default=None, ge=0)
    active: bool | None = None


class DispositionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    label: str
    position: int
    active: bool


class CannedResponseIn(BaseModel):
    title: str = Text120
    body: str = Field(min_length=1, max_length=4096)
    language: str = Field(default="pt-BR", pattern="^(" + "|".join(LANGUAGES) + ")$")


class CannedResponsePatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=120)
    body: str | None = Field(default=None, min_length=1, max_length=4096)
    language: str | None = Field(default=None, pattern="^(" + "|".join(LANGUAGES) + ")$")
    position: int | None = Field(default=None, ge=0)
    active: bool | None = None


class CannedResponseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    language: str
    position: int
    active: bool


class ExpressionCheck(BaseModel):
    expression: str = Field(max_length=4096)


class ExpressionVerdict(BaseModel):
    valid: bool
    error: str | None = None
    position: int | None = None


class WorkflowDryRun(BaseModel):
    configuration: str = Field(max_length=100_000)
    task_attributes: dict[str, Any] | None = None


class RouteStep(BaseModel):
    queue_sid: str
    queue_name: str | None
    timeout: int | None
    priority: int | None
    expression: str | None
    known_worker: str | None = None


class WorkflowVerdict(BaseModel):
    valid: bool
    error: str | None = None
    path: str | None = None
    filter_name: str | None = None
    steps: list[RouteStep] = []
    leaves_workflow: bool = False


class ChannelLoad(BaseModel):
    channel: str
    capacity: int
    used: int


class WorkItem(BaseModel):
    """An offer (reservation pending) or a piece of work the agent holds."""

    reservation_sid: str
    reservation_status: str
    task_sid: str
    task_status: str
    channel: str
    queue_sid: str
    queue_name: str | None
    attributes: dict[str, Any]
    customer_name: str | None
    customer_address: str | None
    protocol: str | None
    conversation_sid: str | None
    call_sid: str | None
    created_at: datetime
    accepted_at: datetime | None
    timeout_at: datetime | None


class WorkerView(BaseModel):
    sid: str
    name: str
    activity_sid: str
    activity_name: str
    available: bool
    state: str
    since: datetime
    team: str
    skills: list[str]
    languages: list[str]
    capacity: list[ChannelLoad]
    work: list[WorkItem]


class ActivityView(BaseModel):
    sid: str
    name: str
    available: bool


class Softphone(BaseModel):
    """The browser softphone of a Twilio voice channel: the token comes from
    `/api/voice/token?channel_sid=`; `sdk_url` is None when the SDK is not installed."""

    channel_sid: str
    sdk_url: str | None


class AgentState(BaseModel):
    """Everything the agent desktop shows; `last_seq` is where its push stream resumes.
    `softphone` is None when no Twilio voice channel is configured (the sandbox needs none)."""

    now: datetime
    last_seq: int
    workspace_sid: str
    worker: WorkerView
    activities: list[ActivityView]
    work: list[WorkItem]
    dispositions: list[DispositionOut]
    canned_responses: list[CannedResponseOut]
    softphone: Softphone | None = None
    # The largest attachment WhatsApp takes, by media type, so the page warns before uploading.
    attachment_limits: dict[str, int] = Field(default_factory=dict)


class ActivityChange(BaseModel):
    activity_sid: str = Field(min_length=34, max_length=34)


class Completion(BaseModel):
    disposition_code: str = Field(min_length=1, max_length=60)
    note: str = Field(default="", max_length=4000)


class HistoryEntry(BaseModel):
    """A conversation (`conversation_sid`, `summary`) or a call (`call_sid`, `direction`,
    `duration_seconds` talking to an agent, `outcome`), `channel` "voice"."""

    conversation_sid: str | None = None
    call_sid: str | None = None
    channel: str
    protocol: str | None
    opened_at: datetime
    closed_at: datetime | None
    disposition: str | None
    summary: str | None = None
    direction: str | None = None
    duration_seconds: int | None = None
    outcome: str | None = None


class CustomerPanel(BaseModel):
    protocol: str | None
    contact: dict[str, Any]
    collected: dict[str, Any]
    crm: dict[str, Any] | None
    history: list[HistoryEntry]


class TransferTarget(BaseModel):
    sid: str
    name: str


class TransferTargets(BaseModel):
    queues: list[TransferTarget]
    workers: list[TransferTarget]


class WorkspaceRef(BaseModel):
    sid: str
    name: str


class QueueFigures(BaseModel):
    sid: str
    name: str
    waiting: int
    longest_wait_seconds: int
    oldest_waiting_since: datetime | None
    service_level: float | None
    service_level_threshold: int
    service_level_target: int
    handled: int
    abandoned: int
    available: int
    busy: int
    offline: int


class Totals(BaseModel):
    waiting: int
    longest_wait_seconds: int
    service_level: float | None
    service_level_target: int
    handled: int
    abandoned: int
    available: int
    busy: int
    offline: int


class Overview(BaseModel):
    """The supervisor's live queues; `last_seq` is where the workspace stream resumes."""

    now: datetime
    last_seq: int
    workspace_sid: str | None
    workspaces: list[WorkspaceRef]
    activities: list[ActivityView]
    queues: list[QueueFigures]
    totals: Totals


class Team(BaseModel):
    now: datetime
    workers: list[WorkerView]


class MoveTask(BaseModel):
    queue_sid: str | None = Field(default=None, min_length=34, max_length=34)
    worker_sid: str | None = Field(default=None, min_length=34, max_length=34)


class UserView(BaseModel):
    id: int
    email: str
    display_name: str
    role: str
    active: bool
    worker_sid: str | None
    team: str | None
    skills: list[str]
    languages: list[str]


class Users(BaseModel):
    users: list[UserView]
    known_skills: list[str]
    known_teams: list[str]


Password = Field(default=None, min_length=10, max_length=200)


class UserIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(pattern="^(agent|supervisor|admin)$")
    password: str | None = Password
    team: str | None = Field(default=None, max_length=100)
    skills: list[str] = Field(default_factory=list, max_length=50)
    languages: list[str] = Field(default_factory=list, max_length=50)


class UserPatch(BaseModel):
    display_name: str | None = Field(default=None, max_length=200)
    role: str | None = Field(default=None, pattern="^(agent|supervisor|admin)$")
    password: str | None = Password
    active: bool | None = None
    team: str | None = Field(default=None, max_length=100)
    skills: list[str] | None = None
    languages: list[str] | None = None


class QueueView(BaseModel):
    sid: str
    name: str
    target_workers: str
    service_level_threshold: int
    service_level_target: int


class Queues(BaseModel):
    workspace_sid: str | None
    queues: list[QueueView]


class QueueIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    target_workers: str = Field(default="1==1", max_length=4096)
    service_level_threshold: int = Field(default=20, ge=1, le=3600)
    service_level_target: int = Field(default=80, ge=1, le=100)


class QueuePatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    target_workers: str | None = Field(default=None, max_length=4096)
    service_level_threshold: int | None = Field(default=None, ge=1, le=3600)
    service_level_target: int | None = Field(default=None, ge=1, le=100)


class WorkflowView(BaseModel):
    sid: str
    name: str
    configuration: str


class Workflows(BaseModel):
    workspace_sid: str | None
    workflows: list[WorkflowView]
    queues: list[TransferTarget]


class WorkflowPatch(BaseModel):
    configuration: str = Field(min_length=2, max_length=100_000)


class DryRunIn(WorkflowDryRun):
    workspace_sid: str | None = None


class ChannelView(BaseModel):
    name: str
    kind: str
    address: str | None
    configured: bool


class Holiday(BaseModel):
    day: str
    name: str
    kind: str


class DayHours(BaseModel):
    """One weekday's hours (Monday is 0); `closes` 00:00 means midnight."""

    weekday: int = Field(ge=0, le=6)
    open: bool
    opens: time | None = None
    closes: time | None = None


class BusinessHoursIn(BaseModel):
    days: list[DayHours] = Field(min_length=7, max_length=7)


class BusinessHoursOut(BusinessHoursIn):
    """`configured` is false while the flows still use their built-in hours (shown here);
    `open_now` is the out-of-hours check's answer at this moment, once configured."""

    configured: bool
    timezone: str
    open_now: bool | None
