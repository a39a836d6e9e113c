"""Request shapes of the messaging API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, HttpUrl, model_validator

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
