"""Request and response shapes of the native voice API (`/api/calls`, `/api/voice/…`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from atende.conversations.phones import company_e164


class LegOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    call_sid: str
    role: str
    worker_sid: str | None
    address: str
    status: str
    in_conference: bool
    on_hold: bool
    muted: bool


class RecordingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sid: str
    kind: str
    url: str | None
    status: str
    duration: int | None
    created_at: datetime
    retain_until: datetime
    deleted_at: datetime | None


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sid: str
    channel_sid: str
    direction: str
    customer_call_sid: str | None
    customer_number: str
    company_number: str
    status: str
    stage: str
    protocol: str | None
    task_sid: str | None
    worker_sid: str | None
    conference_sid: str | None
    on_hold: bool
    recording: str | None
    callback_requested: bool
    transfer: dict[str, Any] | None
    abandoned: bool
    short_abandon: bool
    disposition: str | None
    notes: str | None
    end_reason: str | None
    attributes: dict[str, Any]
    created_at: datetime
    queued_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None


class CallDetail(CallOut):
    legs: list[LegOut] = Field(default_factory=list)
    recordings: list[RecordingOut] = Field(default_factory=list)


class OutboundIn(BaseModel):
    to: str = Field(min_length=3, max_length=40)
    channel_sid: str | None = None


class TransferIn(BaseModel):
    kind: Literal["cold", "warm"] = "cold"
    worker_sid: str | None = None
    queue_sid: str | None = None


class ThirdPartyIn(BaseModel):
    number: str = Field(min_length=3, max_length=40)


class WrapUpIn(BaseModel):
    disposition: str | None = None
    notes: str | None = Field(default=None, max_length=4000)


class TokenOut(BaseModel):
    token: str
    identity: str
    ttl: int


class ChannelIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    phone_number: str = Field(min_length=3, max_length=40)
    account_sid: str = Field(min_length=34, max_length=34)
    auth_token: str = Field(min_length=8, max_length=200)
    kind: Literal["twilio", "sandbox"] = "twilio"
    api_base: str | None = None
    workflow_sid: str | None = None
    flow: dict[str, Any] | None = None
    crm_lookup_url: str | None = None
    language: Literal["pt-BR", "en"] = "pt-BR"
    record_calls: bool = True
    api_key_sid: str | None = None
    api_key_secret: str | None = None
    twiml_app_sid: str | None = None

    @field_validator("phone_number")
    @classmethod
    def _e164(cls, value: str) -> str:
        """The company's number as Twilio sends it in `To`; webhooks find the channel by it."""
        return company_e164(value)


class ChannelPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    auth_token: str | None = Field(default=None, min_length=8, max_length=200)
    workflow_sid: str | None = None
    flow: dict[str, Any] | None = None
    crm_lookup_url: str | None = None
    language: Literal["pt-BR", "en"] | None = None
    record_calls: bool | None = None
    # The softphone's credentials; null removes them (tokens are then signed with the account's).
    api_key_sid: str | None = None
    api_key_secret: str | None = None
    twiml_app_sid: str | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> ChannelPatch:
        """Leaving a field out keeps it; null may clear only what a channel can do without."""
        for name in ("name", "auth_token", "language", "record_calls"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name}: may not be null (leave it out to keep it)")
        return self


class ChannelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sid: str
    name: str
    kind: str
    phone_number: str
    account_sid: str
    api_base: str | None
    workspace_sid: str | None
    workflow_sid: str | None
    flow: dict[str, Any] | None
    crm_lookup_url: str | None
    language: str
    record_calls: bool
    api_key_sid: str | None
    twiml_app_sid: str | None
    # Whether a key secret is kept; the secret itself never comes back.
    api_key_secret_set: bool
