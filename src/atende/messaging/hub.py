"""What one node holds for messaging: the connectors, the HTTP session, the background jobs,
the bot and the router; kept at `runtime.services["messaging"]`.

It also holds the conversation rules that join them: a customer's message goes to the bot
while the bot talks, and to the owning agent afterwards; what anyone sends is queued here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from atende.channels.twilio_messaging import TwilioMessagingConnector, outbound_form
from atende.channels.webchat import OriginPolicy, WebchatConnector
from atende.channels.whatsapp_cloud import WhatsAppCloudConnector
from atende.channels.whatsapp_cloud_payloads import graph_payload
from atende.conversations.items import FetchedMedia, InboundMessage, ProviderError
from atende.conversations.models import Contact, Conversation, Message
from atende.conversations.service import ConversationService, Received
from atende.flows.runner import FlowRunner
from atende.messaging.bot import ChatBot, ChatFlow, Draft
from atende.messaging.bot_flow import chat_flow
from atende.messaging.inbound import InboundProcessor, InboundWriter
from atende.messaging.media import MediaFetcher
from atende.messaging.outbound import Claimed, OutboundDispatcher
from atende.messaging.rate_limit import limiter_for
from atende.messaging.routing import ConversationRouter, TaskGateway
from atende.messaging.whatsapp_numbers import WhatsAppNumbers
from atende.runtime import Runtime

log = logging.getLogger(__name__)

TWILIO_STATUS_PATH = "/webhooks/twilio/messaging"
# Providers whose channel shows buttons and lists; the others get numbered text menus.
INTERACTIVE_PROVIDERS = frozenset({"meta", "webchat"})
WAKE_KEY = "atende.messaging.wake"
# 5 s to connect, 15 s to get a connection and between reads of an answer; none on the
# whole, so a large media download is not cut off while it still flows.
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=15.0, sock_connect=5.0, sock_read=15.0)
HTTP_CONNECTIONS = 100
# Seconds an idle connection is kept for the next send.
HTTP_KEEPALIVE = 5.0


class MessagingHub:
    def __init__(self, runtime: Runtime, gateway: TaskGateway) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.meta = WhatsAppCloudConnector(
            app_secret=settings.whatsapp_app_secret,
            access_token=settings.whatsapp_access_token,
            phone_number_id=settings.whatsapp_phone_number_id,
            graph_base=settings.whatsapp_graph_base,
            verify_token=settings.whatsapp_verify_token,
        )
        self.twilio = TwilioMessagingConnector(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            number=settings.twilio_number,
            api_base=settings.twilio_api_base,
        )
        self.webchat = WebchatConnector(settings.secret_key)
        # Built here so a bad ATENDE_WEBCHAT_ORIGINS stops the node at start with its reason.
        self.webchat_origins = OriginPolicy(settings.webchat_origins, settings.public_url)
        # `events` sets up before `messaging` (the app factory goes in name order).
        self.limiter = limiter_for(runtime.services.get("redis"))
        self.numbers = WhatsAppNumbers(runtime, self.meta)
        self.router = ConversationRouter(
            gateway, settings.default_workflow_sid, self._number_workflow
        )
        self.bot = ChatBot(chat_flow(), FlowRunner())
        # Taken by this node's webhook writer and inbound processor in turn (FIFO), so on
        # SQLite neither starves the other in the database's busy-wait.
        self.write_lock = asyncio.Lock()
        self.inbound = InboundProcessor(self)
        self.writer = InboundWriter(self)
        self.outbound = OutboundDispatcher(self)
        self.media = MediaFetcher(self)
        self._http: aiohttp.ClientSession | None = None

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def http(self) -> aiohttp.ClientSession:
        """The node's one session for the providers' APIs (Graph, Twilio Messages), made on
        first use, inside the running loop it belongs to. aiohttp rather than httpx: about a
        fifth of the CPU per request, and sends are most of what a busy node does. The
        environment's proxy settings (HTTPS_PROXY, NO_PROXY…) apply when one is set: reading
        them costs two trips to a thread on every request, so a node without a proxy skips
        it."""
        if self._http is None:
            connector = aiohttp.TCPConnector(
                limit=HTTP_CONNECTIONS, keepalive_timeout=HTTP_KEEPALIVE
            )
            self._http = aiohttp.ClientSession(
                connector=connector,
                timeout=HTTP_TIMEOUT,
                # The providers' APIs authenticate every request: no cookies to keep.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=bool(urllib.request.getproxies()),
            )
        return self._http

    async def close(self) -> None:
        await self.writer.close()
        if self._http is not None:
            await self._http.close()
            self._http = None

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session for a job that will write: this node's writers take turns (FIFO), and on
        SQLite the transaction starts as a writer. One that reads and then writes fails at
        once ("database is locked") if another connection wrote in between, where one that
        starts as a writer simply waits its turn."""
        async with self.write_lock, self.runtime.sessions() as session:
            if session.bind.dialect.name == "sqlite":
                await session.execute(text("BEGIN IMMEDIATE"))
            yield session

    def connector(self, provider: str) -> WhatsAppCloudConnector | TwilioMessagingConnector:
        if provider == self.meta.name:
            return self.meta
        if provider == self.twilio.name:
            return self.twilio
        raise ValueError(f"no connector for provider {provider!r}")

    def after_commit(self) -> None:
        """Work was queued: let the delivery and media jobs look now rather than at their
        next idle tick."""
        self.outbound.wake()
        self.media.wake()

    def wake_after_commit(self, session: AsyncSession) -> None:
        """For request handlers, whose session commits after they return."""
        sync_session = session.sync_session
        if sync_session.info.get(WAKE_KEY):
            return
        sync_session.info[WAKE_KEY] = True

        def woken(_session: Session) -> None:
            sync_session.info.pop(WAKE_KEY, None)
            self.after_commit()

        sa_event.listen(sync_session, "after_commit", woken, once=True)

    # --- the conversation rules -----------------------------------------------------------

    async def _number_workflow(self, conversation: Conversation) -> str | None:
        """A registered WhatsApp number routes its conversations to its own workflow."""
        if conversation.provider != self.meta.name:
            return None
        return await self.numbers.workflow_for(conversation.business_address)

    async def _number_flow(self, conversation: Conversation) -> ChatFlow | None:
        """A registered WhatsApp number's conversations run its own bot flow, on every turn
        (and after a restart), since the number is kept on the conversation; None: the
        default chat flow (web chat, SMS, the environment's number)."""
        if conversation.provider != self.meta.name:
            return None
        return await self.numbers.flow_for(conversation.business_address)

    async def after_inbound(
        self, session: AsyncSession, received: Received, item: InboundMessage
    ) -> None:
        """The bot answers while it holds the conversation; once queued or assigned, the
        message only reaches the agent (its event is already recorded)."""
        conversation = received.conversation
        if conversation.state != "bot":
            return
        await self.bot_turn(
            session, conversation, item.bot_reply, opened=received.opened, contact=received.contact
        )

    async def bot_turn(
        self,
        session: AsyncSession,
        conversation: Conversation,
        reply: str | None,
        *,
        opened: bool,
        contact: Contact | None = None,
    ) -> None:
        """One bot turn; `contact` when the caller has it (the flow's start names it)."""
        saved = None if opened or conversation.flow_state is None else conversation.flow_state
        variables: dict[str, Any] = {}
        if saved is None:
            if contact is None:
                repository = ConversationService(session).repository
                contact = await repository.contact(conversation.contact_sid)
            variables = {
                "protocol": conversation.protocol,
                "from": conversation.customer_address,
                "channel": conversation.channel,
                "name": contact.name if contact is not None else "",
            }
        turn = await self.bot.turn(
            saved,
            variables,
            reply,
            interactive=conversation.provider in INTERACTIVE_PROVIDERS,
            language=conversation.language,
            flow=await self._number_flow(conversation),
        )
        conversation.flow_state = turn.state.to_dict()
        await ConversationService(session).add_outbounds(
            conversation, turn.drafts, author="bot", state=_first_state(conversation)
        )
        answers = dict(turn.state.attributes)
        if turn.handoff is not None:
            await self.router.handoff(
                session,
                conversation,
                dict(turn.handoff.attributes),
                workflow_sid=turn.handoff.workflow_sid,
                priority=turn.handoff.priority,
                timeout=turn.handoff.timeout,
            )
        elif turn.finished:
            # After hours: a callback or a written message still needs a person later.
            if answers.get("callback_requested") or "voicemail_seconds" in answers:
                await self.router.handoff(session, conversation, answers)
            else:
                await ConversationService(session).close(conversation, "bot")

    async def queue(
        self,
        session: AsyncSession,
        conversation: Conversation,
        draft: Draft,
        *,
        author: str,
        author_sid: str | None = None,
        media_sid: str | None = None,
    ) -> Message:
        """Keep an outbound message; the web chat delivers over its socket at once, the
        others go to the delivery queue."""
        state = _first_state(conversation)
        return await ConversationService(session).add_outbound(
            conversation,
            author=author,
            author_sid=author_sid,
            kind=draft.kind,
            text=draft.text,
            content=draft.content,
            media_sid=media_sid,
            state=state,
        )

    # --- providers --------------------------------------------------------------------------

    async def deliver(self, item: Claimed) -> str:
        """Send one claimed message through its provider; returns the provider's id."""
        content: dict[str, Any] = dict(item.content)
        if item.provider == self.meta.name:
            payload = graph_payload(item.customer_address, item.kind, item.text, content)
            sender = await self.numbers.sender(item.business_address)
            return await sender.send(self.http, payload, item.business_address)
        if item.provider == self.twilio.name:
            callback = self.runtime.settings.public_url.rstrip("/") + TWILIO_STATUS_PATH
            form = outbound_form(
                channel=item.channel,
                to=item.customer_address,
                sender=item.business_address,
                text=item.text,
                content=content,
                status_callback=callback,
            )
            return await self.twilio.send(self.http, form)
        raise ProviderError("provider", f"o canal {item.provider} não envia por fila")

    async def fetch_media(
        self, provider: str, media_id: str | None, url: str | None, business_address: str | None
    ) -> FetchedMedia:
        """`business_address`: the company number the media came to (WhatsApp numbers
        download with their own token)."""
        if provider == self.meta.name and media_id:
            fetcher = await self.numbers.sender(business_address) if business_address else self.meta
            return await fetcher.fetch_media(self.http, media_id)
        if provider == self.twilio.name and url:
            return await self.twilio.fetch_media(self.http, url)
        raise ProviderError("media", "a mídia não tem id nem endereço", retryable=False)


def _first_state(conversation: Conversation) -> str:
    """The web chat delivers over its socket at once; the others go to the delivery queue."""
    return "sent" if conversation.provider == "webchat" else "queued"
