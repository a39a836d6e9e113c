"""The use cases of conversations: the only code that changes contacts, conversations and
messages. Callers (webhook processing, the desk API, the bot) commit at their boundary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations import events, participants, status, transcript, window
from atende.conversations.items import InboundMessage, StatusUpdate
from atende.conversations.lookahead import Lookahead, address_of
from atende.conversations.models import (
    Contact,
    Conversation,
    MediaFile,
    Message,
    Transcript,
)
from atende.conversations.protocol import issue_protocol
from atende.conversations.repository import ConversationRepository
from atende.conversations.views import message_view
from atende.db.base import utcnow
from atende.sids import new_sid

QUEUED = "queued"


@dataclass(frozen=True, slots=True)
class Received:
    conversation: Conversation
    message: Message
    opened: bool
    # The contact when it was loaded anyway (a conversation opened), so the bot need not ask.
    contact: Contact | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One outbound message to keep: type, text, type-specific content, attachment."""

    kind: str
    text: str | None
    content: dict[str, Any] = field(default_factory=dict)
    media_sid: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    """Both ends of a conversation on one channel."""

    channel: str
    provider: str
    customer: str
    business: str


class ConversationService:
    def __init__(self, session: AsyncSession, clock: Callable[[], datetime] = utcnow) -> None:
        self.session = session
        self.repository = ConversationRepository(session)
        self.clock = clock

    # --- contacts ------------------------------------------------------------------------

    async def contact_for(
        self,
        *,
        phone: str | None = None,
        whatsapp_user_id: str | None = None,
        visitor: str | None = None,
        name: str = "",
        lookahead: Lookahead | None = None,
    ) -> Contact:
        """Find the contact by any identity it shows and learn the ones it did not have yet
        (a withheld phone shared later joins the same contact). `lookahead`: the contacts a
        batch read beforehand for all its items, kept up to date."""
        contact, _created = await self._contact(phone, whatsapp_user_id, visitor, name, lookahead)
        if lookahead is not None:
            lookahead.remember_contact(contact)
        return contact

    async def _contact(
        self,
        phone: str | None,
        whatsapp_user_id: str | None,
        visitor: str | None,
        name: str,
        lookahead: Lookahead | None = None,
    ) -> tuple[Contact, bool]:
        """`contact_for`, also saying whether the contact is new (then it has no history)."""
        contact = None
        known = lookahead is not None and phone is not None and lookahead.knows_phone(phone)
        if known and lookahead is not None and phone is not None:
            contact = lookahead.contact(phone)
        if contact is None and (not known or whatsapp_user_id or visitor):
            contact = await self.repository.contact_by(
                phone=None if known else phone, whatsapp_user_id=whatsapp_user_id, visitor=visitor
            )
        created = contact is None
        if contact is None:
            contact = Contact(sid=new_sid("CT"), name=name)
            self.session.add(contact)
        changed = False
        for attribute, value in (
            ("phone", phone),
            ("whatsapp_user_id", whatsapp_user_id),
            ("webchat_visitor", visitor),
        ):
            if value and getattr(contact, attribute) is None:
                setattr(contact, attribute, value)
                changed = True
        if name and not contact.name:
            contact.name = name
            changed = True
        if changed and not created:
            contact.date_updated = self.clock()
        return contact, created

    # --- conversations -------------------------------------------------------------------

    async def open(
        self,
        contact: Contact,
        address: Address,
        *,
        workspace_sid: str | None = None,
        language: str = "pt-BR",
        first_contact: bool = False,
    ) -> Conversation:
        """A new conversation with its protocol number. `first_contact`: the contact was
        just created, so no earlier conversation can hold its window."""
        now = self.clock()
        sid = new_sid("CH")
        protocol = await issue_protocol(self.session, address.channel, sid, at=now)
        conversation = Conversation(
            sid=sid,
            contact_sid=contact.sid,
            channel=address.channel,
            provider=address.provider,
            customer_address=address.customer,
            business_address=address.business,
            protocol=protocol,
            state="bot",
            attributes={},
            language=language,
            workspace_sid=workspace_sid,
            last_inbound_at=None
            if first_contact
            else await self.repository.last_inbound_at(
                contact.sid, address.channel, address.business
            ),
            opened_at=now,
            date_updated=now,
        )
        # Added, not flushed: they go in with the rest of the work (a processing chunk's one
        # flush, the rows of each table together, conversations before their participants).
        self.session.add(conversation)
        participants.join(self.session, sid, now, ("customer", contact.sid), ("bot", "bot"))
        await events.emit(
            self.session,
            conversation,
            events.CREATED,
            f"conversation opened with protocol {protocol}",
            {"protocol": protocol, "contact_sid": contact.sid},
        )
        return conversation

    async def receive(
        self,
        item: InboundMessage,
        workspace_sid: str | None = None,
        *,
        unseen: bool = False,
        lookahead: Lookahead | None = None,
    ) -> Received | None:
        """Keep a customer's message; None if it was already kept (a provider's retry).
        `unseen`: the caller already checked that (a batch checks all its items at once);
        `lookahead`: what the batch read beforehand for all its items."""
        if not unseen and await self.repository.message_by_provider_id(
            item.provider, item.provider_id
        ):
            return None
        address = Address(item.channel, item.provider, item.customer_address, item.business_address)
        key = address_of(item)
        # The usual case, a customer writing again from the same address, costs one query.
        if lookahead is not None and lookahead.knows_address(key):
            conversation = lookahead.open_at(key)
        else:
            conversation = await self.repository.open_at(
                address.customer, address.channel, address.business
            )
        opened = False
        contact: Contact | None = None
        if conversation is None:
            contact, created = await self._contact(
                item.phone, item.whatsapp_user_id, item.visitor, item.profile_name, lookahead
            )
            if not created:
                conversation = await self.repository.open_for(
                    contact.sid, item.channel, address.business
                )
            opened = conversation is None
            if conversation is None:
                conversation = await self.open(
                    contact, address, workspace_sid=workspace_sid, first_contact=created
                )
            elif item.phone:
                # The phone WhatsApp withheld is now known: Meta prefers replies to it.
                conversation.customer_address = item.phone
        elif item.whatsapp_user_id:
            # A user_id first seen mid-conversation must be known before the phone is withheld.
            known = await self.repository.contact(conversation.contact_sid)
            if known is not None and known.whatsapp_user_id is None:
                known.whatsapp_user_id = item.whatsapp_user_id
        media_sid = self._keep_media(item)
        message = Message(
            sid=new_sid("IM"),
            conversation_sid=conversation.sid,
            direction="inbound",
            author="customer",
            type=item.type,
            text=item.text,
            content=item.content,
            media_sid=media_sid,
            status="received",
            provider=item.provider,
            provider_id=item.provider_id,
            reply_to=item.reply_to,
            sent_at=item.sent_at,
        )
        self.session.add(message)
        if lookahead is not None:
            lookahead.remember(key, conversation, contact)
        await self._message_event(conversation, message, events.MESSAGE_ADDED)
        # Changed after the message's flush (if any), so the bot's answer writes the row once.
        conversation.last_inbound_at = window.later(conversation.last_inbound_at, item.sent_at)
        conversation.date_updated = self.clock()
        return Received(conversation, message, opened, contact)

    def _keep_media(self, item: InboundMessage) -> str | None:
        if item.media is None:
            return None
        media = MediaFile(
            sid=new_sid("ME"),
            provider=item.provider,
            provider_media_id=item.media.provider_media_id,
            source_url=item.media.url,
            mime_type=item.media.mime_type,
            filename=item.media.filename,
            sha256=item.media.sha256,
            status="pending",
            next_attempt_at=self.clock(),
        )
        self.session.add(media)
        return media.sid

    async def add_outbound(
        self,
        conversation: Conversation,
        *,
        author: str,
        kind: str,
        text: str | None,
        content: dict[str, Any] | None = None,
        author_sid: str | None = None,
        media_sid: str | None = None,
        state: str = QUEUED,
    ) -> Message:
        """A message from the company; `queued` ones are sent by the delivery job."""
        [message] = await self.add_outbounds(
            conversation,
            [Outgoing(kind, text, content or {}, media_sid)],
            author=author,
            author_sid=author_sid,
            state=state,
        )
        return message

    async def add_outbounds(
        self,
        conversation: Conversation,
        outgoing: Sequence[Outgoing],
        *,
        author: str,
        author_sid: str | None = None,
        state: str = QUEUED,
    ) -> list[Message]:
        """Several messages of one author at once (a bot turn): one flush, one event write."""
        now = self.clock()
        messages = [
            Message(
                sid=new_sid("IM"),
                conversation_sid=conversation.sid,
                direction="outbound",
                author=author,
                author_sid=author_sid,
                type=part.kind,
                text=part.text,
                content=part.content,
                media_sid=part.media_sid,
                status=state,
                provider=conversation.provider,
                next_attempt_at=now if state == QUEUED else None,
                sent_at=now,
            )
            for part in outgoing
        ]
        if not messages:
            return messages
        self.session.add_all(messages)
        conversation.date_updated = now
        await self._numbered(messages)
        await events.emit_many(
            self.session,
            conversation,
            [self._message_happening(message, events.MESSAGE_ADDED) for message in messages],
        )
        return messages

    async def apply_status(self, update: StatusUpdate) -> Message | None:
        """Move a message forward; None when the message is not known (yet)."""
        message = await self.repository.message_by_provider_id(update.provider, update.provider_id)
        if message is None:
            return None
        await self.set_status(message, update.status, update.error_code, update.error_message)
        return message

    async def set_status(
        self,
        message: Message,
        new_status: str,
        error_code: str | None = None,
        error_message: str | None = None,
        *,
        conversation: Conversation | None = None,
    ) -> bool:
        """`conversation`: the message's, when the caller holds it (a delivery round reads
        them all at once), so its event needs no lookup."""
        if not status.advances(message.status, new_status):
            return False
        message.status = new_status
        if error_code is not None:
            message.error_code = error_code
            message.error_message = error_message
        message.date_updated = self.clock()
        if conversation is None:
            conversation = await self.repository.get(message.conversation_sid)
        if conversation is not None:
            await self._message_event(conversation, message, events.MESSAGE_UPDATED)
        return True

    async def _message_event(
        self, conversation: Conversation, message: Message, event_type: str
    ) -> None:
        await self._numbered([message])
        happening = self._message_happening(message, event_type)
        await events.emit(self.session, conversation, *happening)

    async def _numbered(self, messages: Sequence[Message]) -> None:
        """A message's events show its id. While the session holds its events (a processing
        chunk) the id is filled in when they are written, so new messages are inserted with
        the rest of the work (one statement for a customer's message and the bot's answer);
        otherwise they are inserted now."""
        if not events.holding(self.session) and any(m.id is None for m in messages):
            await self.session.flush()

    def _message_happening(
        self, message: Message, event_type: str
    ) -> tuple[str, str, dict[str, Any]]:
        happening = _message_happening(message, event_type)
        if message.id is None:
            events.number_later(self.session, happening[2]["message"], message)
        return happening

    # --- ownership -----------------------------------------------------------------------

    async def queued(self, conversation: Conversation, task_sid: str | None) -> None:
        conversation.state = "queued"
        conversation.task_sid = task_sid
        conversation.date_updated = self.clock()
        await events.emit(
            self.session, conversation, events.QUEUED, "waiting for an agent", {"task": task_sid}
        )

    async def assign(self, conversation: Conversation, worker_sid: str) -> None:
        """The agent who accepted the task owns the conversation from now on."""
        if conversation.state == "closed" or conversation.worker_sid == worker_sid:
            return
        now = self.clock()
        await self._leave(conversation, "agent")
        await self._leave(conversation, "bot")
        conversation.state = "assigned"
        conversation.worker_sid = worker_sid
        conversation.assigned_at = now
        conversation.date_updated = now
        participants.join(self.session, conversation.sid, now, ("agent", worker_sid))
        await events.emit(
            self.session, conversation, events.ASSIGNED, f"assigned to {worker_sid}", {}
        )

    async def release(self, conversation: Conversation, task_sid: str | None, by: str) -> None:
        """A transfer: the current agent leaves and the conversation waits for the next one."""
        previous = conversation.worker_sid
        await self._leave(conversation, "agent")
        conversation.worker_sid = None
        conversation.state = "queued"
        conversation.task_sid = task_sid
        conversation.date_updated = self.clock()
        await events.emit(
            self.session,
            conversation,
            events.TRANSFERRED,
            "transferred",
            {"from_worker_sid": previous, "task": task_sid},
            actor_sid=by,
            worker_sid=previous,
        )

    async def _leave(self, conversation: Conversation, kind: str) -> None:
        participant = await self.repository.active_participant(conversation.sid, kind)
        if participant is not None:
            participant.left_at = self.clock()

    async def close(
        self,
        conversation: Conversation,
        disposition: str | None,
        notes: str | None = None,
        by: str | None = None,
    ) -> Transcript:
        """Wrap-up: record the disposition, keep the transcript; the next message opens a
        new conversation with a new protocol."""
        now = self.clock()
        for kind in ("agent", "bot", "customer"):
            await self._leave(conversation, kind)
        conversation.state = "closed"
        conversation.disposition = disposition
        conversation.wrapup_notes = notes
        conversation.closed_at = now
        conversation.date_updated = now
        messages = await self.repository.messages(conversation.sid)
        kept = Transcript(
            conversation_sid=conversation.sid,
            text=transcript.render(conversation, messages),
            date_created=now,
        )
        await self.session.merge(kept)
        await events.emit(
            self.session,
            conversation,
            events.CLOSED,
            f"closed ({disposition or 'sem classificação'})",
            {"disposition": disposition},
            actor_sid=by,
        )
        return kept


def _message_happening(message: Message, event_type: str) -> tuple[str, str, dict[str, Any]]:
    description = f"{message.direction} {message.type} message {message.status}"
    return event_type, description, {"message": message_view(message)}
