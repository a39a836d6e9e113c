"""Callers' contacts for a batch of webhooks, read together as it starts.

A call handed to routing finds (or creates) its caller's contact by phone number, as messaging
finds a sender's, so the agent sees the caller's chats and the call joins their history. Most
calls are handed off by their first webhook (straight to the queue or a one-step menu); reading
those callers' contacts with one query for the batch, instead of one per call, keeps the
webhook's cost. A later hand-off (after a menu) looks its caller up alone."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations.lookahead import Lookahead
from atende.conversations.phones import to_e164
from atende.conversations.repository import ConversationRepository
from atende.conversations.service import ConversationService
from atende.voice.repository import IncomingWebhook

_AHEAD = "voice.contacts-ahead"


async def read_ahead(session: AsyncSession, new_calls: Sequence[IncomingWebhook]) -> None:
    """The contacts of the callers of a batch's new calls, in one query."""
    phones = sorted({phone for w in new_calls if (phone := to_e164(w.params.get("From", "")))})
    if phones:
        contacts = await ConversationRepository(session).contacts_by_phone(phones)
        session.info[_AHEAD] = Lookahead(phones=set(phones), contacts=contacts)


async def contact_sid(session: AsyncSession, number: str) -> str | None:
    """The contact of the caller at `number`, created if new; None for a withheld number
    ("anonymous")."""
    phone = to_e164(number)
    if phone is None:
        return None
    lookahead: Lookahead | None = session.info.get(_AHEAD)
    contact = await ConversationService(session).contact_for(phone=phone, lookahead=lookahead)
    return contact.sid
