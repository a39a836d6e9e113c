"""Tables of the voice domain: channels (numbers), calls and their legs, webhooks, recordings.

A *call* is one contact by phone (one protocol number, one conference named after the call's
sid); its *legs* are the carrier's calls that take part in it: the customer, the agent, a consulted
colleague, a third party. Tasks, workers and reservations live in the TaskRouter domain and are
referred to by SID only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, utcnow

SID = String(34)
SequenceId = BigInteger().with_variant(Integer(), "sqlite")


class VoiceChannel(Base):
    """A company number and how its calls are handled (credentials, workflow, flow)."""

    __tablename__ = "voice_channels"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # "twilio" (a real carrier) or "sandbox" (simulated callers for the demo and simulator).
    kind: Mapped[str] = mapped_column(String(20), default="twilio")
    phone_number: Mapped[str] = mapped_column(String(40), unique=True)
    account_sid: Mapped[str] = mapped_column(SID, index=True)
    auth_token: Mapped[str] = mapped_column(String(200))
    # None: the node's ATENDE_TWILIO_API_BASE.
    api_base: Mapped[str | None] = mapped_column(Text, default=None)
    workspace_sid: Mapped[str | None] = mapped_column(SID, default=None)
    workflow_sid: Mapped[str | None] = mapped_column(SID, default=None)
    # A flow document (see atende.flows.model); None runs the default company flow.
    flow: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    crm_lookup_url: Mapped[str | None] = mapped_column(Text, default=None)
    language: Mapped[str] = mapped_column(String(10), default="pt-BR")
    record_calls: Mapped[bool] = mapped_column(default=True)
    # For browser softphone tokens; without them the token is signed with the account's own
    # credentials, which a local fake accepts but Twilio does not.
    api_key_sid: Mapped[str | None] = mapped_column(SID, default=None)
    api_key_secret: Mapped[str | None] = mapped_column(String(200), default=None)
    twiml_app_sid: Mapped[str | None] = mapped_column(SID, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def api_key_secret_set(self) -> bool:
        return bool(self.api_key_secret)


class Call(Base):
    __tablename__ = "voice_calls"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    channel_sid: Mapped[str] = mapped_column(SID)
    direction: Mapped[str] = mapped_column(String(10))  # inbound | outbound
    customer_call_sid: Mapped[str | None] = mapped_column(SID, unique=True, default=None)
    customer_number: Mapped[str] = mapped_column(String(80))
    company_number: Mapped[str] = mapped_column(String(40))
    # The customer leg's carrier status (queued … completed) and where the contact stands
    # for us: ivr, queued, callback, connecting, connected, wrapup, ended.
    status: Mapped[str] = mapped_column(String(20), default="ringing")
    stage: Mapped[str] = mapped_column(String(20), default="ivr")
    protocol: Mapped[str | None] = mapped_column(String(20), default=None)
    # The caller's contact (found by phone number when the call is handed to routing), which
    # puts the call in the contact's history beside their chats.
    contact_sid: Mapped[str | None] = mapped_column(SID, index=True, default=None)
    flow_state: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Bumped with every TwiML reply that waits for the caller, so a replayed <Gather> action
    # is recognised as a duplicate.
    step: Mapped[int] = mapped_column(default=0)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    workspace_sid: Mapped[str | None] = mapped_column(SID, default=None)
    workflow_sid: Mapped[str | None] = mapped_column(SID, default=None)
    task_sid: Mapped[str | None] = mapped_column(SID, index=True, default=None)
    reservation_sid: Mapped[str | None] = mapped_column(SID, default=None)
    worker_sid: Mapped[str | None] = mapped_column(SID, index=True, default=None)
    conference_sid: Mapped[str | None] = mapped_column(SID, index=True, default=None)
    on_hold: Mapped[bool] = mapped_column(default=False)
    recording: Mapped[str | None] = mapped_column(String(12), default=None)  # on | paused
    callback_requested: Mapped[bool] = mapped_column(default=False)
    # A warm or cold transfer under way: {"kind", "task_sid", "to", "worker_sid"...}.
    transfer: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    abandoned: Mapped[bool] = mapped_column(default=False)
    short_abandon: Mapped[bool] = mapped_column(default=False)
    disposition: Mapped[str | None] = mapped_column(String(60), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    end_reason: Mapped[str | None] = mapped_column(String(80), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(default=None)
    connected_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_voice_calls_stage", "stage"),)


class CallLeg(Base):
    """One carrier call taking part in a contact; keyed by the carrier's CallSid."""

    __tablename__ = "voice_call_legs"

    call_sid: Mapped[str] = mapped_column(SID, primary_key=True)
    voice_call_sid: Mapped[str] = mapped_column(SID, index=True)
    role: Mapped[str] = mapped_column(String(20))  # customer | agent | consult | third_party
    worker_sid: Mapped[str | None] = mapped_column(SID, default=None)
    address: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    in_conference: Mapped[bool] = mapped_column(default=False)
    on_hold: Mapped[bool] = mapped_column(default=False)
    muted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class VoiceWebhook(Base):
    """Every accepted carrier webhook, stored before it is answered; `key` makes replays
    (CallSid + status, a conference's sequence number...) recognisable."""

    __tablename__ = "voice_webhooks"

    id: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    call_sid: Mapped[str | None] = mapped_column(SID, index=True, default=None)
    params: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The TwiML answered the first time, given again to a replay.
    reply: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Recording(Base):
    __tablename__ = "voice_recordings"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    voice_call_sid: Mapped[str] = mapped_column(SID, index=True)
    kind: Mapped[str] = mapped_column(String(12), default="call")  # call | voicemail
    url: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(20), default="in-progress")
    duration: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Kept at least until then (SAC: 90 days); the purge job deletes it at the carrier after.
    retain_until: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_voice_recordings_retention", "deleted_at", "retain_until"),)
