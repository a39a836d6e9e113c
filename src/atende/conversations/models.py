"""Tables of conversations: contacts, conversations, participants, messages, media, transcripts,
the raw provider webhooks they came from, and the registry of approved WhatsApp templates.

Other domains are referred to by SID (workspace, task, worker), never by foreign key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, utcnow
from atende.events.models import SequenceId

SID = String(34)


class Contact(Base):
    """A customer, whatever the channel: WhatsApp and SMS from the same phone are one contact.

    WhatsApp may withhold the phone number (usernames, since 2026) and give only a
    business-scoped `user_id`; such a contact has no phone until the customer shares it."""

    __tablename__ = "contacts"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(20), default=None, unique=True)
    whatsapp_user_id: Mapped[str | None] = mapped_column(String(160), default=None, unique=True)
    webchat_visitor: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    """One contact's exchange on one channel, from the first message to the wrap-up.

    `state`: bot (the flow talks), queued (a task waits for an agent), assigned (an agent owns
    it), closed. `last_inbound_at` opens WhatsApp's 24-hour customer-service window."""

    __tablename__ = "conversations"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    contact_sid: Mapped[str] = mapped_column(ForeignKey("contacts.sid"))
    channel: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(20))
    # Where the customer is reached on this channel (E.164 phone, WhatsApp user_id, visitor id).
    customer_address: Mapped[str] = mapped_column(String(160))
    # The company's side: a Meta phone_number_id, a Twilio number, "webchat".
    business_address: Mapped[str] = mapped_column(String(64))
    protocol: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(12), default="bot")
    flow_state: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(10), default="pt-BR")
    workspace_sid: Mapped[str | None] = mapped_column(SID, default=None)
    task_sid: Mapped[str | None] = mapped_column(SID, default=None, index=True)
    worker_sid: Mapped[str | None] = mapped_column(SID, default=None)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    disposition: Mapped[str | None] = mapped_column(String(80), default=None)
    wrapup_notes: Mapped[str | None] = mapped_column(Text, default=None)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_conversations_contact_opened", "contact_sid", "opened_at"),
        Index("ix_conversations_contact_channel", "contact_sid", "channel", "state"),
        Index("ix_conversations_address", "customer_address", "channel", "state"),
        Index("ix_conversations_worker_state", "worker_sid", "state"),
    )


class Participant(Base):
    """Who took part and when: the customer, the bot, each agent (a transfer adds one)."""

    __tablename__ = "conversation_participants"

    id: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    conversation_sid: Mapped[str] = mapped_column(ForeignKey("conversations.sid"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    identity: Mapped[str] = mapped_column(String(160))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(default=None)


class Message(Base):
    """A message either way. `id` orders what Atende saw; `sent_at` is when it was written
    (the provider's timestamp for inbound ones), which is the order a transcript shows.

    Outbound messages are the delivery queue too: `status` queued with `next_attempt_at` until
    the provider accepts them, so nothing an agent sends is lost to a restart."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    # The sentinel that matches the ids an INSERT returns to its rows, so the messages of one
    # flush go in one statement on SQLite too (without it, one INSERT per message there).
    sid: Mapped[str] = mapped_column(SID, unique=True, insert_sentinel=True)
    conversation_sid: Mapped[str] = mapped_column(ForeignKey("conversations.sid"))
    direction: Mapped[str] = mapped_column(String(8))
    # customer, bot, agent or system; the agent's worker SID in `author_sid`.
    author: Mapped[str] = mapped_column(String(12))
    author_sid: Mapped[str | None] = mapped_column(SID, default=None)
    type: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    # Type-specific content: media ids and captions, location, contacts, interactive, template.
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    media_sid: Mapped[str | None] = mapped_column(SID, default=None, index=True)
    status: Mapped[str] = mapped_column(String(12))
    error_code: Mapped[str | None] = mapped_column(String(20), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    provider: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[str | None] = mapped_column(String(160), default=None)
    reply_to: Mapped[str | None] = mapped_column(String(160), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("provider", "provider_id", name="uq_messages_provider_id"),
        Index("ix_messages_conversation_sent", "conversation_sid", "sent_at", "id"),
        Index("ix_messages_outbound_due", "status", "next_attempt_at"),
    )


class MediaFile(Base):
    """A picture, voice note, video or document, fetched from the provider and kept here."""

    __tablename__ = "media_files"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_media_id: Mapped[str | None] = mapped_column(String(200), default=None)
    # Where the provider serves it (Twilio's MediaUrl; Meta's is looked up by id).
    source_url: Mapped[str | None] = mapped_column(Text, default=None)
    mime_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    size: Mapped[int | None] = mapped_column(default=None)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    # pending (to fetch), stored, failed.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_media_files_due", "status", "next_attempt_at"),)


class Transcript(Base):
    """The text of a closed conversation, kept so a customer's history is delivered at once."""

    __tablename__ = "transcripts"

    conversation_sid: Mapped[str] = mapped_column(ForeignKey("conversations.sid"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)


class InboundEvent(Base):
    """A provider's webhook item, stored before the 2xx and processed afterwards.

    `key` is the provider's own identity for it ("meta:message:<wamid>",
    "meta:status:<wamid>:delivered", "twilio:status:<MessageSid>:sent"…): a retried or
    duplicated webhook hits the unique key and changes nothing. A status about a message Atende
    has not yet learned the id of waits (`state` waiting) until the send records it."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    provider_message_id: Mapped[str | None] = mapped_column(String(160), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_inbound_events_state", "state", "id"),
        Index("ix_inbound_events_message", "provider_message_id"),
    )


class WhatsAppTemplate(Base):
    """An approved template: what may be sent outside the 24-hour window.

    `components` is Meta's component list (header, body, buttons) as approved; `variables` names
    the body's {{1}}, {{2}}… in order so the desk can ask the agent for them in words.
    `content_sid` is the same template in Twilio's Content API, for the Twilio channel."""

    __tablename__ = "whatsapp_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(15))
    category: Mapped[str] = mapped_column(String(20), default="UTILITY")
    body: Mapped[str] = mapped_column(Text, default="")
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    variables: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_sid: Mapped[str | None] = mapped_column(SID, default=None)
    active: Mapped[bool] = mapped_column(default=True)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("name", "language"),)
