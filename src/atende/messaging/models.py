"""Tables of messaging itself (conversations and messages live in `atende.conversations`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, utcnow

SID = String(34)


class WhatsAppNumber(Base):
    """A WhatsApp Business number on Meta's Cloud API, added by an admin: how its replies are
    sent (its phone_number_id and access token), which bot flow answers and where its
    conversations are routed. The
    token is kept as voice channels keep their Twilio auth token, and never shown again."""

    __tablename__ = "whatsapp_numbers"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Meta's id of the number: webhooks name it in metadata.phone_number_id, sends go to it.
    phone_number_id: Mapped[str] = mapped_column(String(40), unique=True)
    # The number customers write to, in E.164; for people, Meta never uses it.
    display_phone_number: Mapped[str] = mapped_column(String(40))
    access_token: Mapped[str] = mapped_column(String(1000))
    # None: the default messaging workflow (ATENDE_DEFAULT_WORKFLOW_SID, or the only one).
    workflow_sid: Mapped[str | None] = mapped_column(SID, default=None)
    # A chat flow document (see atende.flows.model) its bot runs; None: the default chat flow.
    flow: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def access_token_last4(self) -> str:
        """Enough for an admin to tell which token is in place, not enough to use it."""
        return self.access_token[-4:]
