"""Every query over contacts, conversations, messages and media."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from atende.conversations.models import (
    Contact,
    Conversation,
    MediaFile,
    Message,
    Participant,
    Transcript,
)

CLOSED = "closed"
_KNOWN_AGENTS = "atende.conversations.known-agents"


@dataclass
class KnownAgents:
    """A contact's name and their latest conversations an agent served (sid, worker, opened),
    newest first, as a batch read them ahead."""

    name: str
    served: list[tuple[str, str, datetime]] = field(default_factory=list)

    def last_agent(self, since: datetime, exclude: str) -> str | None:
        return next((w for sid, w, at in self.served if sid != exclude and at >= since), None)


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- contacts ------------------------------------------------------------------------

    async def contact(self, sid: str) -> Contact | None:
        return await self.session.get(Contact, sid)

    async def contact_by(
        self,
        *,
        phone: str | None = None,
        whatsapp_user_id: str | None = None,
        visitor: str | None = None,
    ) -> Contact | None:
        """The phone first (it joins WhatsApp, SMS and voice), then the other identities."""
        for column, value in (
            (Contact.phone, phone),
            (Contact.whatsapp_user_id, whatsapp_user_id),
            (Contact.webchat_visitor, visitor),
        ):
            if value:
                found = await self.session.scalar(select(Contact).where(column == value))
                if found is not None:
                    return found
        return None

    # --- conversations -------------------------------------------------------------------

    async def get(self, sid: str) -> Conversation | None:
        return await self.session.get(Conversation, sid)

    async def by_task(self, task_sid: str) -> Conversation | None:
        query = select(Conversation).where(Conversation.task_sid == task_sid)
        return await self.session.scalar(query)

    async def open_for(
        self, contact_sid: str, channel: str, business_address: str
    ) -> Conversation | None:
        """The contact's conversation on this channel and number that is not closed yet."""
        query = (
            select(Conversation)
            .where(
                Conversation.contact_sid == contact_sid,
                Conversation.channel == channel,
                Conversation.business_address == business_address,
                Conversation.state != CLOSED,
            )
            .order_by(Conversation.opened_at.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def open_at(
        self, customer_address: str, channel: str, business_address: str
    ) -> Conversation | None:
        """The open conversation with whoever writes from this address on this channel."""
        query = (
            select(Conversation)
            .where(
                Conversation.customer_address == customer_address,
                Conversation.channel == channel,
                Conversation.business_address == business_address,
                Conversation.state != CLOSED,
            )
            .order_by(Conversation.opened_at.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def open_at_many(
        self, addresses: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], Conversation]:
        """`open_at` for many (customer address, channel, business address) in one query."""
        if not addresses:
            return {}
        key = tuple_(
            Conversation.customer_address, Conversation.channel, Conversation.business_address
        )
        query = (
            select(Conversation)
            .where(key.in_(list(addresses)), Conversation.state != CLOSED)
            .order_by(Conversation.opened_at)
        )
        # The newest open one per address wins, as in `open_at`.
        return {
            (row.customer_address, row.channel, row.business_address): row
            for row in await self.session.scalars(query)
        }

    async def contacts_by_phone(self, phones: Sequence[str]) -> dict[str, Contact]:
        if not phones:
            return {}
        query = select(Contact).where(Contact.phone.in_(list(phones)))
        return {row.phone: row for row in await self.session.scalars(query) if row.phone}

    async def last_inbound_at(
        self, contact_sid: str, channel: str, business_address: str
    ) -> datetime | None:
        """The contact's last message to this number, whichever conversation it opened."""
        query = (
            select(Conversation.last_inbound_at)
            .where(
                Conversation.contact_sid == contact_sid,
                Conversation.channel == channel,
                Conversation.business_address == business_address,
                Conversation.last_inbound_at.is_not(None),
            )
            .order_by(Conversation.last_inbound_at.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def read_names_and_agents(self, contact_sids: Sequence[str], since: datetime) -> None:
        """For a batch that may hand these contacts' conversations off: their names and their
        two latest conversations since `since` that an agent served, in one query, kept in the
        session for `name_and_last_agent` (two: the one it excludes may be among them)."""
        ranked = (
            select(
                Conversation.contact_sid,
                Conversation.sid,
                Conversation.worker_sid,
                Conversation.opened_at,
                func.row_number()
                .over(partition_by=Conversation.contact_sid, order_by=Conversation.opened_at.desc())
                .label("rank"),
            )
            .where(
                Conversation.contact_sid.in_(contact_sids),
                Conversation.worker_sid.is_not(None),
                Conversation.opened_at >= since,
            )
            .subquery()
        )
        query = (
            select(Contact.sid, Contact.name, ranked.c.sid, ranked.c.worker_sid, ranked.c.opened_at)
            .outerjoin(ranked, and_(ranked.c.contact_sid == Contact.sid, ranked.c.rank <= 2))
            .where(Contact.sid.in_(contact_sids))
            .order_by(Contact.sid, ranked.c.rank)
        )
        known: dict[str, KnownAgents] = self.session.info.setdefault(_KNOWN_AGENTS, {})
        for contact_sid, name, sid, worker_sid, opened_at in await self.session.execute(query):
            entry = known.setdefault(contact_sid, KnownAgents(name or ""))
            if sid is not None:
                entry.served.append((sid, worker_sid, opened_at))

    async def name_and_last_agent(
        self, contact_sid: str, since: datetime, exclude: str
    ) -> tuple[str, str | None]:
        """The contact's name and the agent who served them most recently since `since` (any
        channel, `exclude` aside): what a task needs, in one query, or none if the batch read
        it ahead (`read_names_and_agents`)."""
        known: KnownAgents | None = self.session.info.get(_KNOWN_AGENTS, {}).get(contact_sid)
        if known is not None:
            return known.name, known.last_agent(since, exclude)
        last_agent = (
            select(Conversation.worker_sid)
            .where(
                Conversation.contact_sid == contact_sid,
                Conversation.worker_sid.is_not(None),
                Conversation.sid != exclude,
                Conversation.opened_at >= since,
            )
            .order_by(Conversation.opened_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = select(Contact.name, last_agent).where(Contact.sid == contact_sid)
        row = (await self.session.execute(query)).first()
        return ("", None) if row is None else (row[0] or "", row[1])

    async def listing(
        self,
        *,
        worker_sid: str | None = None,
        states: Sequence[str] = (),
        channel: str | None = None,
        contact_sid: str | None = None,
        limit: int = 100,
    ) -> Sequence[Conversation]:
        query: Select[tuple[Conversation]] = select(Conversation)
        if worker_sid is not None:
            query = query.where(Conversation.worker_sid == worker_sid)
        if states:
            query = query.where(Conversation.state.in_(states))
        if channel is not None:
            query = query.where(Conversation.channel == channel)
        if contact_sid is not None:
            query = query.where(Conversation.contact_sid == contact_sid)
        query = query.order_by(Conversation.date_updated.desc()).limit(limit)
        return (await self.session.scalars(query)).all()

    async def participants(self, conversation_sid: str) -> Sequence[Participant]:
        query = (
            select(Participant)
            .where(Participant.conversation_sid == conversation_sid)
            .order_by(Participant.id)
        )
        return (await self.session.scalars(query)).all()

    async def active_participant(self, conversation_sid: str, kind: str) -> Participant | None:
        query = select(Participant).where(
            Participant.conversation_sid == conversation_sid,
            Participant.kind == kind,
            Participant.left_at.is_(None),
        )
        return await self.session.scalar(query)

    # --- messages ------------------------------------------------------------------------

    async def message(self, sid: str) -> Message | None:
        return await self.session.scalar(select(Message).where(Message.sid == sid))

    async def message_by_provider_id(self, provider: str, provider_id: str) -> Message | None:
        query = select(Message).where(
            Message.provider == provider, Message.provider_id == provider_id
        )
        return await self.session.scalar(query)

    async def kept_provider_ids(self, provider_ids: Sequence[str]) -> set[tuple[str, str]]:
        """Which of these provider ids are kept already, as (provider, provider_id): the
        duplicate check of a whole batch of webhook items in one query."""
        if not provider_ids:
            return set()
        query = select(Message.provider, Message.provider_id).where(
            Message.provider_id.in_(provider_ids)
        )
        return {(provider, id_) for provider, id_ in await self.session.execute(query) if id_}

    async def messages(self, conversation_sid: str, after_id: int = 0) -> Sequence[Message]:
        """In the order they were written (providers may deliver them out of order)."""
        query = (
            select(Message)
            .where(Message.conversation_sid == conversation_sid, Message.id > after_id)
            .order_by(Message.sent_at, Message.id)
        )
        return (await self.session.scalars(query)).all()

    async def history(self, contact_sid: str) -> Sequence[tuple[Conversation, Message]]:
        """Everything a contact exchanged with the company, on every channel, in one query."""
        query = (
            select(Conversation, Message)
            .join(Message, Message.conversation_sid == Conversation.sid)
            .where(Conversation.contact_sid == contact_sid)
            .order_by(Message.sent_at, Message.id)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def outbound_queue(self, limit: int) -> Sequence[Message]:
        """Messages waiting to go, oldest first (due or not: a later message of a conversation
        must wait behind an earlier one that is backing off)."""
        query = (
            select(Message)
            .where(Message.status == "queued", Message.direction == "outbound")
            .order_by(Message.id)
            .limit(limit)
        )
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return (await self.session.scalars(query)).all()

    # --- media and transcripts -----------------------------------------------------------

    async def media(self, sid: str) -> MediaFile | None:
        return await self.session.get(MediaFile, sid)

    async def media_content(self, sid: str) -> MediaFile | None:
        query = select(MediaFile).where(MediaFile.sid == sid).options(undefer(MediaFile.content))
        return await self.session.scalar(query)

    async def message_with_media(self, media_sid: str) -> Message | None:
        query = select(Message).where(Message.media_sid == media_sid).limit(1)
        return await self.session.scalar(query)

    async def media_business_addresses(self, media_sids: Sequence[str]) -> dict[str, str]:
        """Which company number each media came to (a WhatsApp number fetches with its own
        token)."""
        query = (
            select(Message.media_sid, Conversation.business_address)
            .join(Conversation, Conversation.sid == Message.conversation_sid)
            .where(Message.media_sid.in_(media_sids))
        )
        return {sid: address for sid, address in (await self.session.execute(query)) if sid}

    async def media_due(self, now: datetime, limit: int) -> Sequence[MediaFile]:
        query = (
            select(MediaFile)
            .where(MediaFile.status == "pending", MediaFile.next_attempt_at <= now)
            .order_by(MediaFile.date_created)
            .limit(limit)
        )
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return (await self.session.scalars(query)).all()

    async def transcript(self, conversation_sid: str) -> Transcript | None:
        return await self.session.get(Transcript, conversation_sid)
