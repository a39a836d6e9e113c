"""Callers' contacts for a batch of webhooks, found or created together as it starts.

A call handed to routing carries its caller's contact (found by phone number, as messaging
finds a sender's), so the agent sees the caller's chats and the call joins their history. A
batch's new calls have their callers' contacts read in one query and the missing ones created
in one statement (a caller who hangs up in the menu is a contact all the same: the call is in
their history). Creating them one by one through the ORM cost a flush per call. A later
hand-off whose caller the batch did not see (a call that started before) looks its caller up
alone."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, TextClause, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations.models import Contact
from atende.conversations.phones import to_e164
from atende.conversations.service import ConversationService
from atende.db.base import utcnow
from atende.sids import new_sid
from atende.voice.repository import IncomingWebhook

_AHEAD = "voice.contacts-ahead"
_CONTACTS = cast(Table, Contact.__table__)


@functools.cache
def _insert_contacts(count: int) -> TextClause:
    """`count` new contacts in one INSERT; the phones inserted come back, and one another
    transaction took meanwhile is skipped (and read after). One text per count, as
    `repository._store_webhooks`."""
    rows = ", ".join(f"(:sid_{i}, '', :phone_{i}, :now, :now)" for i in range(count))
    return text(
        "INSERT INTO contacts (sid, name, phone, date_created, date_updated) "
        f"VALUES {rows} ON CONFLICT (phone) DO NOTHING RETURNING phone"
    ).bindparams(bindparam("now", type_=_CONTACTS.c.date_created.type))


async def _sids_by_phone(session: AsyncSession, phones: Sequence[str]) -> dict[str, str]:
    query = select(_CONTACTS.c.phone, _CONTACTS.c.sid).where(_CONTACTS.c.phone.in_(phones))
    return {phone: sid for phone, sid in (await session.execute(query)).tuples()}


async def read_ahead(session: AsyncSession, new_calls: Sequence[IncomingWebhook]) -> None:
    """The contacts of the callers of a batch's new calls, created where missing."""
    phones = sorted({phone for w in new_calls if (phone := to_e164(w.params.get("From", "")))})
    if not phones:
        return
    found = await _sids_by_phone(session, phones)
    missing = [phone for phone in phones if phone not in found]
    if missing:
        made = {phone: new_sid("CT") for phone in missing}
        values: dict[str, object] = {"now": utcnow()}
        for index, (phone, sid) in enumerate(made.items()):
            values[f"sid_{index}"] = sid
            values[f"phone_{index}"] = phone
        inserted = set((await session.execute(_insert_contacts(len(made)), values)).scalars())
        found.update((phone, made[phone]) for phone in inserted)
        taken = [phone for phone in missing if phone not in inserted]
        if taken:
            found.update(await _sids_by_phone(session, taken))
    session.info[_AHEAD] = found


async def contact_sid(session: AsyncSession, number: str) -> str | None:
    """The contact of the caller at `number`, created if new; None for a withheld number
    ("anonymous")."""
    phone = to_e164(number)
    if phone is None:
        return None
    ahead: dict[str, str] = session.info.get(_AHEAD, {})
    if phone in ahead:
        return ahead[phone]
    contact = await ConversationService(session).contact_for(phone=phone)
    return contact.sid
