"""Request shapes of the messaging API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from atende.conversations.phones import company_e164

MessageKind = Literal["text", "image", "audio", "video", "document", "sticker", "template"]


# Twilio's MMS takes up to 10; more is refused with words naming the channel's limit.
MAX_LINKS = 20


class SendMessage(BaseModel):
    """Text, a media link (with an optional caption in `text`) or an approved template.
    `links` sends several media in one message where the channel takes them (MMS)."""

    type: MessageKind = "text"
    text: str | None = Field(default=None, max_length=4096)
    link: HttpUrl | None = None
    links: list[HttpUrl] = Field(default_factory=list, max_length=MAX_LINKS)
    filename: str | None = Field(default=None, max_length=255)
    template: str | None = Field(default=None, max_length=512)
    language: str = Field(default="pt_BR", max_length=15)
    variables: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _complete(self) -> SendMessage:
        if self.type == "text" and not (self.text and self.text.strip()):
            raise ValueError("text: a text message needs text")
        if self.type == "template" and not self.template:
            raise ValueError("template: name the approved template to send")
        if self.type not in ("text", "template") and not self.media_links:
            raise ValueError("link: a media message needs the media's URL")
        return self

    @property
    def media_links(self) -> list[str]:
        return [str(link) for link in ([self.link] if self.link else []) + self.links]


class Transfer(BaseModel):
    worker_sid: str | None = Field(default=None, max_length=34)
    queue_sid: str | None = Field(default=None, max_length=34)

    @model_validator(mode="after")
    def _one_target(self) -> Transfer:
        if bool(self.worker_sid) == bool(self.queue_sid):
            raise ValueError("give either worker_sid or queue_sid")
        return self


class WrapUp(BaseModel):
    disposition: str = Field(min_length=1, max_length=80)
    notes: str | None = Field(default=None, max_length=4000)


class TemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")
    language: str = Field(default="pt_BR", min_length=2, max_length=15)
    body: str = Field(min_length=1, max_length=1024)
    variables: list[str] = Field(default_factory=list, max_length=20)
    category: Literal["UTILITY", "MARKETING", "AUTHENTICATION"] = "UTILITY"
    components: list[dict[str, Any]] = Field(default_factory=list)
    content_sid: str | None = Field(default=None, pattern=r"^HX[0-9a-f]{32}$")


class WhatsAppNumberIn(BaseModel):
    """A number from Meta's WhatsApp Manager: its phone_number_id, the number customers see,
    and a (system user) access token allowed to send from it."""

    name: str = Field(min_length=1, max_length=200)
    phone_number_id: str = Field(pattern=r"^[0-9]{5,40}$")
    display_phone_number: str = Field(min_length=3, max_length=40)
    access_token: str = Field(min_length=8, max_length=1000)
    workflow_sid: str | None = None
    # A chat flow document (checked by atende.flows.loader); None: the default chat flow.
    flow: dict[str, Any] | None = None
    enabled: bool = True

    @field_validator("display_phone_number")
    @classmethod
    def _e164(cls, value: str) -> str:
        return company_e164(value)


class WhatsAppNumberPatch(BaseModel):
    """The phone_number_id stays (conversations keep it); the rest may change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    display_phone_number: str | None = Field(default=None, min_length=3, max_length=40)
    access_token: str | None = Field(default=None, min_length=8, max_length=1000)
    workflow_sid: str | None = None
    flow: dict[str, Any] | None = None
    enabled: bool | None = None

    @field_validator("display_phone_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        return None if value is None else company_e164(value)

    @model_validator(mode="after")
    def _required_stay_set(self) -> WhatsAppNumberPatch:
        """Leaving a field out keeps it; only the workflow and the flow may be cleared (to
        the defaults)."""
        for name in ("name", "display_phone_number", "access_token", "enabled"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name}: may not be null (leave it out to keep it)")
        return self


class WhatsAppNumberOut(BaseModel):
    """What the admin screen shows: the token only as its last four characters."""

    model_config = ConfigDict(from_attributes=True)

    sid: str
    name: str
    phone_number_id: str
    display_phone_number: str
    access_token_last4: str
    workflow_sid: str | None
    flow: dict[str, Any] | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


class WhatsAppNumberRemoval(BaseModel):
    """What removing did: `deleted` (the number had no conversation) or `disabled` (it had,
    and stays for their history, neither receiving nor sending)."""

    sid: str
    outcome: Literal["deleted", "disabled"]
