"""Webhooks arriving together: stored by group commit, processed many per transaction.

Many concurrent signed webhooks, a share of them repeated as Meta's retries are, must leave
each wamid stored and kept once, every one processed, and each customer's messages kept in
the order they were stored; a webhook that cannot be processed in the middle of a batch is set
aside without losing the others."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from atende.conversations.models import Contact, Conversation, InboundEvent, Message
from atende.conversations.service import ConversationService
from atende.events.models import Event
from atende.messaging.hub import MessagingHub
from tests.messaging import meta_payloads as meta
from tests.messaging.conftest import drain, post_meta

CUSTOMERS = 40
MESSAGES = 3


def _wa_id(customer: int) -> str:
    return f"55119{customer:08d}"


def _message(customer: int, number: int) -> dict[str, Any]:
    return meta.text(
        f"wamid.{customer}.{number}",
        f"mensagem {number}",
        wa_id=_wa_id(customer),
        user_id=None,
        name=f"Cliente {customer}",
        timestamp=meta.TIMESTAMP + number,
    )


async def _rows(app: FastAPI, query: Any) -> list[Any]:
    async with app.state.runtime.sessions() as session:
        return list((await session.execute(query)).all())


async def test_concurrent_webhooks_with_repeats_are_kept_once_and_in_order(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub
) -> None:
    documents = [
        _message(customer, number)
        for customer in range(CUSTOMERS)
        for number in range(1, MESSAGES + 1)
    ]
    # 120 distinct messages and 80 repeats (each customer's first two messages once more):
    # 200 requests at once.
    repeats = [_message(customer, number) for customer in range(CUSTOMERS) for number in (1, 2)]
    requests = documents + repeats
    assert len(requests) == 200
    answers = await asyncio.gather(*(post_meta(client, document) for document in requests))
    assert {answer.status_code for answer in answers} == {200}

    await drain(hub)

    events = await _rows(app, select(InboundEvent.id, InboundEvent.key, InboundEvent.state))
    assert len(events) == CUSTOMERS * MESSAGES, "each wamid stored once"
    assert {state for _id, _key, state in events} == {"done"}
    stored_order = {key.removeprefix("meta:message:"): event_id for event_id, key, _ in events}
    inbound = await _rows(
        app,
        select(Message.id, Message.provider_id, Message.conversation_sid)
        .where(Message.direction == "inbound")
        .order_by(Message.id),
    )
    assert sorted(provider_id for _id, provider_id, _sid in inbound) == sorted(stored_order)
    per_conversation: dict[str, list[str]] = defaultdict(list)
    for _id, provider_id, conversation_sid in inbound:
        per_conversation[conversation_sid].append(provider_id)
    assert len(per_conversation) == CUSTOMERS, "one conversation per customer"
    for kept in per_conversation.values():
        assert kept == sorted(kept, key=stored_order.__getitem__), "kept in arrival order"


async def test_a_failing_webhook_in_a_batch_loses_none_of_the_others(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub
) -> None:
    # Stored, but unprocessable: a message naming no sender at all.
    broken = meta.text("wamid.broken", "?", wa_id=None, user_id=None)
    documents = [_message(customer, 1) for customer in range(5)]
    documents += [broken] + [_message(customer, 1) for customer in range(5, 10)]
    for document in documents:
        assert (await post_meta(client, document)).status_code == 200

    assert await hub.inbound.process_pending() == len(documents)

    states = dict(await _rows(app, select(InboundEvent.key, InboundEvent.state)))
    assert states.pop("meta:message:wamid.broken") == "failed"
    assert set(states.values()) == {"done"}
    inbound = await _rows(
        app, select(Message.provider_id).where(Message.direction == "inbound").order_by(Message.id)
    )
    assert [provider_id for (provider_id,) in inbound] == [
        f"wamid.{customer}.1" for customer in range(10)
    ]
    conversations = await _rows(app, select(Conversation.sid, Conversation.flow_state))
    assert len(conversations) == 10
    assert all(flow_state for _sid, flow_state in conversations), "the bot answered each"


async def test_a_batch_records_every_conversation_event_in_the_order_it_happened(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub
) -> None:
    for customer in range(3):
        for number in (1, 2):
            assert (await post_meta(client, _message(customer, number))).status_code == 200

    await hub.inbound.process_pending()

    logged = await _rows(
        app,
        select(Event.resource_sid, Event.event_type, Event.data)
        .where(Event.resource_type == "conversation")
        .order_by(Event.id),
    )
    kept = await _rows(app, select(Message.conversation_sid, Message.sid).order_by(Message.id))
    per_conversation: dict[str, list[str]] = defaultdict(list)
    for sid, event_type, data in logged:
        message = data.get("message")
        per_conversation[sid].append(message["sid"] if message else event_type)
    assert len(per_conversation) == 3
    for conversation_sid, story in per_conversation.items():
        messages = [sid for owner, sid in kept if owner == conversation_sid]
        assert story[0] == "conversation.created"
        assert [entry for entry in story if entry.startswith("IM")] == messages


async def test_a_batch_finds_each_customers_open_conversation_and_contact(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub
) -> None:
    """A batch reads its conversations and contacts at once: a customer still in an open
    conversation continues it, one whose conversation was wrapped up gets a new one with the
    same contact, a new customer gets a contact; and two messages of a customer first seen
    in the batch share one conversation."""
    for customer in (1, 2):
        await post_meta(client, _message(customer, 1))
    await drain(hub)
    before = {sid: contact for sid, contact in await _rows(app, _conversations())}
    async with hub.writing() as session:
        closing = await session.get(Conversation, _sid_of(before, await _contact_of(app, 2)))
        assert closing is not None
        await ConversationService(session).close(closing, "resolvido")
        await session.commit()

    batch = [_message(1, 2), _message(2, 2), _message(3, 1), _message(3, 2), _message(1, 3)]
    for document in batch:
        assert (await post_meta(client, document)).status_code == 200
    await drain(hub)

    after = {sid: contact for sid, contact in await _rows(app, _conversations())}
    inbound = await _rows(
        app,
        select(Message.provider_id, Message.conversation_sid).where(Message.author == "customer"),
    )
    where = dict(inbound)
    first = await _contact_of(app, 1)
    second = await _contact_of(app, 2)
    assert where["wamid.1.2"] == where["wamid.1.3"] == where["wamid.1.1"], "open one continued"
    assert where["wamid.2.2"] != where["wamid.2.1"], "a wrapped-up conversation is not reopened"
    assert after[where["wamid.2.2"]] == second, "the same contact"
    assert where["wamid.3.1"] == where["wamid.3.2"], "one conversation for a new customer"
    assert len(set(after.values())) == 3, "one contact per customer"
    assert len(after) == len(before) + 2
    assert after[where["wamid.1.3"]] == first


def _conversations() -> Any:
    return select(Conversation.sid, Conversation.contact_sid)


def _sid_of(conversations: dict[str, str], contact_sid: str) -> str:
    [sid] = [sid for sid, contact in conversations.items() if contact == contact_sid]
    return sid


async def _contact_of(app: FastAPI, customer: int) -> str:
    [(sid,)] = await _rows(app, select(Contact.sid).where(Contact.phone == f"+{_wa_id(customer)}"))
    return str(sid)
