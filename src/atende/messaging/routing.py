"""Conversations as TaskRouter tasks: hand-off after the bot, ownership on acceptance,
transfer, wrap-up, and "a returning customer goes first to the agent who served them".

The routing core is reached through `TaskGateway`, so this module states the conversation
rules and the TaskRouter service stays the only code that changes routing state."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from atende.conversations.models import Conversation
from atende.conversations.repository import ConversationRepository
from atende.conversations.service import ConversationService
from atende.db.base import utcnow
from atende.errors import Problem, TwilioError

log = logging.getLogger(__name__)

# How far back "the agent who served them" reaches.
KNOWN_AGENT_DAYS = 7
TASK_CHANNELS = {"whatsapp": "whatsapp", "webchat": "webchat", "sms": "sms"}
# The workflow the conversation's own channel routes to (a WhatsApp number's), if it has one.
ChannelWorkflow = Callable[[Conversation], Awaitable[str | None]]


async def no_channel_workflow(_conversation: Conversation) -> None:
    return None


class TaskGateway(Protocol):
    async def workspace_of(self, session: AsyncSession, workflow_sid: str) -> str | None: ...

    async def only_workflow(self, session: AsyncSession) -> str | None:
        """The one workflow there is, if there is exactly one (a fresh install, the demo)."""

    async def create_task(
        self,
        session: AsyncSession,
        *,
        workspace_sid: str,
        workflow_sid: str,
        attributes: dict[str, Any],
        task_channel: str,
        priority: int | None = None,
        timeout: int | None = None,
    ) -> str:
        """The new task's SID; routed at once, its rows written now or, in a session that
        defers them, at `write_deferred`. A refused creation changes and writes nothing."""

    def defer_writes(self, session: AsyncSession) -> None:
        """From now on this session's task creations are written together, at
        `write_deferred` (one statement per table for a processing chunk's hand-offs)."""

    async def write_deferred(self, session: AsyncSession) -> None:
        """Write the creations deferred so far; before the commit."""

    async def finish_task(
        self, session: AsyncSession, workspace_sid: str, task_sid: str, reason: str
    ) -> None:
        """Complete (if assigned) or cancel (if still waiting) a conversation's task."""

    async def accepted_worker(self, session: AsyncSession, task_sid: str) -> str | None: ...


class ConversationRouter:
    def __init__(
        self,
        gateway: TaskGateway,
        default_workflow_sid: str | None,
        channel_workflow: ChannelWorkflow = no_channel_workflow,
    ) -> None:
        self.gateway = gateway
        self.default_workflow_sid = default_workflow_sid
        self.channel_workflow = channel_workflow
        self._workspaces: dict[str, str] = {}

    async def workflow(self, session: AsyncSession) -> str | None:
        """The configured default workflow, or else the only one there is (found once)."""
        if self.default_workflow_sid is None:
            self.default_workflow_sid = await self.gateway.only_workflow(session)
        return self.default_workflow_sid

    async def workspace_for(
        self, session: AsyncSession, workflow_sid: str | None = None
    ) -> str | None:
        """The workspace of a workflow (the default one when none is named), cached."""
        sid = workflow_sid or await self.workflow(session)
        if sid is None:
            return None
        if sid not in self._workspaces:
            workspace = await self.gateway.workspace_of(session, sid)
            if workspace is None:
                return None
            self._workspaces[sid] = workspace
        return self._workspaces[sid]

    async def read_ahead(
        self, session: AsyncSession, conversations: Iterable[Conversation]
    ) -> None:
        """A processing chunk reads what its hand-offs' tasks need for all its conversations
        at once (one query instead of one per hand-off)."""
        contact_sids = sorted({conversation.contact_sid for conversation in conversations})
        if contact_sids:
            since = utcnow() - timedelta(days=KNOWN_AGENT_DAYS)
            await ConversationRepository(session).read_names_and_agents(contact_sids, since)

    async def task_attributes(
        self, session: AsyncSession, conversation: Conversation, answers: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Read without flushing what the transaction changed (a processing chunk writes its
        rows once, at its end): the last agent comes from other conversations, which nothing
        here assigns; a contact created or first named in this transaction has no name in the
        database yet, and then it is the one the bot started with (`answers`)."""
        since = utcnow() - timedelta(days=KNOWN_AGENT_DAYS)
        with session.no_autoflush:
            stored, known = await ConversationRepository(session).name_and_last_agent(
                conversation.contact_sid, since, conversation.sid
            )
        name = stored or answers.get("name") or ""
        attributes: dict[str, Any] = {
            **answers,
            "conversation_sid": conversation.sid,
            "protocol": conversation.protocol,
            "channel": conversation.channel,
            "from": conversation.customer_address,
            "contact_sid": conversation.contact_sid,
            "name": name,
        }
        if known is not None:
            attributes["known_worker_sid"] = known
        return attributes

    async def handoff(
        self,
        session: AsyncSession,
        conversation: Conversation,
        answers: Mapping[str, Any],
        *,
        workflow_sid: str | None = None,
        priority: int | None = None,
        timeout: int | None = None,
    ) -> str | None:
        """Make the conversation a task; without a configured workflow it waits, unrouted.
        The conversation's row is changed once, at the end, with the task's outcome."""
        service = ConversationService(session)
        workflow = (
            workflow_sid
            or await self.channel_workflow(conversation)
            or await self.workflow(session)
        )
        workspace = await self.workspace_for(session, workflow)
        if workflow is None or workspace is None:
            log.warning("no workflow to route conversation %s; it waits", conversation.sid)
            conversation.attributes = {**conversation.attributes, **answers}
            await service.queued(conversation, None)
            return None
        attributes = await self.task_attributes(session, conversation, answers)
        conversation.workspace_sid = workspace
        # No savepoint: a refused creation writes nothing. The conversation's events come
        # before its task's: a session that holds them (a processing chunk) defers the task's
        # writes too and releases its events first (`InboundProcessor`).
        try:
            task_sid = await self.gateway.create_task(
                session,
                workspace_sid=workspace,
                workflow_sid=workflow,
                attributes=attributes,
                task_channel=TASK_CHANNELS.get(conversation.channel, conversation.channel),
                priority=priority,
                timeout=timeout,
            )
        except TwilioError as error:
            # A configuration mistake (no such task channel…) must not lose the customer.
            log.error("routing conversation %s failed: %s", conversation.sid, error.message)
            failed = {**conversation.attributes, **answers, "routing_error": error.message}
            conversation.attributes = failed
            await service.queued(conversation, None)
            return None
        conversation.attributes = {**conversation.attributes, **answers}
        await service.queued(conversation, task_sid)
        return task_sid

    async def accepted(self, session: AsyncSession, task_sid: str, worker_sid: str) -> bool:
        """A reservation of a conversation's task was accepted: that agent owns it."""
        conversation = await ConversationRepository(session).by_task(task_sid)
        if conversation is None or conversation.state == "closed":
            return False
        await ConversationService(session).assign(conversation, worker_sid)
        return True

    async def reconcile(self, session: AsyncSession, conversation: Conversation) -> None:
        """After a restart: a task accepted while nobody listened still gives its owner."""
        if conversation.state == "queued" and conversation.task_sid:
            worker = await self.gateway.accepted_worker(session, conversation.task_sid)
            if worker is not None:
                await ConversationService(session).assign(conversation, worker)

    async def transfer(
        self,
        session: AsyncSession,
        conversation: Conversation,
        by: str,
        *,
        worker_sid: str | None = None,
        queue_sid: str | None = None,
    ) -> str:
        """Close the current task and route a new one to an agent (`target_worker`) or a queue
        (`transfer_queue`): the attributes voice transfers use, so one workflow serves both
        (see `atende.voice.routing.transfer_filters`)."""
        if conversation.state == "closed":
            raise Problem(409, "Conversation closed", "a closed conversation cannot be transferred")
        workspace = conversation.workspace_sid
        workflow = await self.channel_workflow(conversation) or await self.workflow(session)
        if workspace is None or workflow is None:
            raise Problem(409, "Routing unavailable", "no workflow is configured for messaging")
        if conversation.task_sid:
            await self.gateway.finish_task(session, workspace, conversation.task_sid, "transferred")
        attributes = await self.task_attributes(session, conversation, conversation.attributes)
        attributes["transferred_by"] = by
        attributes.pop("known_worker_sid", None)
        if worker_sid:
            attributes["target_worker"] = worker_sid
        if queue_sid:
            attributes["transfer_queue"] = queue_sid
        task_sid = await self.gateway.create_task(
            session,
            workspace_sid=workspace,
            workflow_sid=workflow,
            attributes=attributes,
            task_channel=TASK_CHANNELS.get(conversation.channel, conversation.channel),
        )
        await ConversationService(session).release(conversation, task_sid, by)
        return task_sid

    async def wrap_up(
        self,
        session: AsyncSession,
        conversation: Conversation,
        disposition: str,
        notes: str | None,
        by: str | None,
    ) -> None:
        if conversation.state == "closed":
            raise Problem(409, "Conversation closed", "this conversation was already wrapped up")
        if conversation.task_sid and conversation.workspace_sid:
            await self.gateway.finish_task(
                session, conversation.workspace_sid, conversation.task_sid, disposition
            )
        await ConversationService(session).close(conversation, disposition, notes, by)


def known_agent_first(queue_sid: str, timeout: int = 120) -> dict[str, Any]:
    """A workflow target to put before a filter's own: a returning customer's task waits up to
    `timeout` seconds for the agent who served them (`known_worker_sid`), and skips this step
    at once when there is none."""
    return {
        "queue": queue_sid,
        "known_worker_sid": "task.known_worker_sid",
        "timeout": timeout,
        "skip_if": "task.known_worker_sid == null",
    }
