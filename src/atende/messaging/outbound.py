"""Delivery of queued outbound messages through the provider's API.

Each conversation's messages go in order (a greeting before its menu); different conversations
go in parallel, paced per business number by the rate limiter. A message is claimed (status
sending) and committed before the request, so two nodes never send it twice, and set back to
queued at start-up if a node died mid-request. Throttling and outages are retried with backoff
and the agent sees why; other refusals fail the message with the reason in words."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations import events
from atende.conversations.items import ProviderError
from atende.conversations.models import Conversation, Message
from atende.conversations.repository import ConversationRepository
from atende.conversations.service import ConversationService
from atende.conversations.views import message_view
from atende.db.base import utcnow
from atende.messaging.inbound import release_waiting

if TYPE_CHECKING:
    from atende.messaging.hub import MessagingHub

log = logging.getLogger(__name__)

QUEUE_WINDOW = 500
# Messages sent in one round, at most (whole conversations' runs, at least one): a round's
# outcomes are recorded in one transaction once all its sends are done, and on SQLite that
# transaction holds the event loop (500 outcomes, some 150 ms: webhooks waited behind it); at
# the default 80 messages/s a round of 64 also shows its statuses within a second or so.
ROUND = 64
IDLE_WAIT = 1.0
MAX_ATTEMPTS = 8
MAX_BACKOFF = 300.0
# Longer than any send can take (the HTTP timeout is 15 s): a claim this old was abandoned.
STALE_CLAIM = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Outcome:
    message_id: int
    provider_id: str | None = None
    error: ProviderError | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a send needs, read while claiming, so no session is open during the request."""

    message_id: int
    conversation_sid: str
    channel: str
    provider: str
    customer_address: str
    business_address: str
    kind: str
    text: str | None
    content: dict[str, object]


def backoff(attempts: int, base: float) -> timedelta:
    """base, 2·base, 4·base … capped, with jitter so retries do not come back in waves."""
    seconds = min(base * 2 ** (attempts - 1), MAX_BACKOFF)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def leading_due(queue: Sequence[Message], now: datetime) -> list[list[Message]]:
    """Per conversation, the run of messages that may go now: from its oldest queued message,
    as long as each is due. A later message never overtakes an earlier one backing off."""
    chains: dict[str, list[Message]] = {}
    blocked: set[str] = set()
    for message in queue:
        sid = message.conversation_sid
        if sid in blocked:
            continue
        due = message.next_attempt_at is None or message.next_attempt_at <= now
        if not due:
            blocked.add(sid)
            continue
        chains.setdefault(sid, []).append(message)
    return list(chains.values())


class OutboundDispatcher:
    def __init__(self, hub: MessagingHub, retry_base: float = 2.0) -> None:
        self.hub = hub
        self.retry_base = retry_base
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> None:
        """Messages a dead node left mid-request go back to the queue (sent at least once);
        only claims older than any request could take, so another node's stay its own."""
        stale = utcnow() - STALE_CLAIM
        async with self.hub.writing() as session:
            await session.execute(
                update(Message)
                .where(
                    Message.status == "sending",
                    Message.direction == "outbound",
                    Message.date_updated < stale,
                )
                .values(status="queued")
            )
            await session.commit()

    async def run(self) -> None:
        await self.recover()
        while True:
            sent = await self.deliver_due()
            if sent == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_WAIT)

    async def deliver_due(self) -> int:
        chains = await self._claim()
        if not chains:
            return 0
        results = await asyncio.gather(*(self._send_chain(chain) for chain in chains))
        outcomes = [outcome for chain_outcomes in results for outcome in chain_outcomes]
        await self._record(outcomes, [c for chain in chains for c in chain])
        return len(outcomes)

    async def _claim(self) -> list[list[Claimed]]:
        async with self.hub.writing() as session:
            queue = await ConversationRepository(session).outbound_queue(QUEUE_WINDOW)
            chains = _round(leading_due(queue, utcnow()))
            if not chains:
                await session.commit()
                return []
            sids = {chain[0].conversation_sid for chain in chains}
            rows = await session.scalars(select(Conversation).where(Conversation.sid.in_(sids)))
            conversations = {row.sid: row for row in rows}
            claimed: list[list[Claimed]] = []
            now = utcnow()
            for chain in chains:
                conversation = conversations[chain[0].conversation_sid]
                for message in chain:
                    message.status = "sending"
                    message.date_updated = now
                claimed.append([_claimed(conversation, message) for message in chain])
            await session.commit()
            return claimed

    async def _send_chain(self, chain: Sequence[Claimed]) -> list[Outcome]:
        """Send in order; after the first failure the rest wait for the next round."""
        outcomes: list[Outcome] = []
        for item in chain:
            await self.hub.limiter.acquire(f"{item.provider}:{item.business_address}")
            try:
                provider_id = await self.hub.deliver(item)
            except ProviderError as refused:
                outcomes.append(Outcome(item.message_id, error=refused))
                break
            except Exception as exc:  # a bug or bad data must not leave the message "sending"
                log.exception("sending message %s failed", item.message_id)
                internal = ProviderError("internal", f"Erro interno ao enviar: {exc}")
                outcomes.append(Outcome(item.message_id, error=internal))
                break
            outcomes.append(Outcome(item.message_id, provider_id=provider_id))
        return outcomes

    async def _record(self, outcomes: Sequence[Outcome], claimed: Sequence[Claimed]) -> None:
        """The round's outcomes in one transaction: the messages and their conversations read
        in two queries, their events written in one insert, the statuses that waited for
        their ids released in one update."""
        done = {outcome.message_id for outcome in outcomes}
        async with self.hub.writing() as session:
            ids = [item.message_id for item in claimed]
            rows = await session.scalars(select(Message).where(Message.id.in_(ids)))
            messages = {row.id: row for row in rows}
            sids = {item.conversation_sid for item in claimed}
            found = await session.scalars(select(Conversation).where(Conversation.sid.in_(sids)))
            conversations = {row.sid: row for row in found}
            events.hold(session)
            for item in claimed:  # the rest of a chain that stopped goes back, untouched
                if item.message_id not in done and messages[item.message_id].status == "sending":
                    messages[item.message_id].status = "queued"
            for outcome in outcomes:
                message = messages[outcome.message_id]
                conversation = conversations[message.conversation_sid]
                await self._apply(session, message, conversation, outcome)
            await events.release(session)
            accepted = [o.provider_id for o in outcomes if o.error is None and o.provider_id]
            if accepted and await release_waiting(session, accepted):
                self.hub.inbound.wake()
            await session.commit()
        self.hub.after_commit()

    async def _apply(
        self, session: AsyncSession, message: Message, conversation: Conversation, outcome: Outcome
    ) -> None:
        """`conversation` is handed over, not looked up: a lookup would flush the messages
        changed so far (one UPDATE each, not one batch for the round) and read it again."""
        service = ConversationService(session)
        message.attempts += 1
        if outcome.error is None:
            message.provider_id = outcome.provider_id
            message.error_code = message.error_message = None
            await service.set_status(message, "accepted", conversation=conversation)
            return
        error = outcome.error
        if error.retryable and message.attempts < MAX_ATTEMPTS:
            message.status = "queued"
            message.next_attempt_at = utcnow() + backoff(message.attempts, self.retry_base)
            message.error_code = error.code
            message.error_message = error.message
            await events.emit(
                session,
                conversation,
                events.MESSAGE_UPDATED,
                "delivery will be retried",
                {"message": message_view(message)},
            )
            return
        await service.set_status(
            message, "failed", error.code, error.message, conversation=conversation
        )


def _round(chains: list[list[Message]]) -> list[list[Message]]:
    """The first chains, oldest first, up to ROUND messages (the first chain in any case)."""
    taken: list[list[Message]] = []
    count = 0
    for chain in chains:
        if taken and count + len(chain) > ROUND:
            break
        taken.append(chain)
        count += len(chain)
    return taken


def _claimed(conversation: Conversation, message: Message) -> Claimed:
    return Claimed(
        message_id=message.id,
        conversation_sid=conversation.sid,
        channel=conversation.channel,
        provider=conversation.provider,
        customer_address=conversation.customer_address,
        business_address=conversation.business_address,
        kind=message.type,
        text=message.text,
        content=dict(message.content),
    )
