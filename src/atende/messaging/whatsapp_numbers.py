"""WhatsApp Business numbers: added, edited and removed by admins, looked up by messaging.

Each number sends with its own access token from its own phone_number_id, greets with its own
bot flow (or the default chat flow) and routes its conversations to its own workflow. The
number of ATENDE_WHATSAPP_* stays the fallback: a phone_number_id not registered here is served
with the environment's token, the default chat flow and the default workflow, as before numbers
could be registered (registering it takes it over).

A disabled number neither sends nor receives: Meta's webhooks for it are acknowledged and kept
as they came, but open no conversation. Removing a number that has conversations only disables
it (their history names it); one that never had any is deleted, as if never registered."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from atende.channels.whatsapp_cloud import WhatsAppCloudConnector
from atende.conversations.items import ProviderError
from atende.db.base import utcnow
from atende.errors import Problem
from atende.flows.loader import FlowError, check_document
from atende.messaging.bot import ChatFlow, load_chat_flow
from atende.messaging.models import WhatsAppNumber
from atende.messaging.repository import MessagingRepository
from atende.runtime import Runtime
from atende.sids import new_sid

log = logging.getLogger(__name__)

# Changes made on this node are seen at once (the admin API forgets the cache); other nodes
# see them within this many seconds.
TTL_SECONDS = 5.0


class WhatsAppNumberService:
    """The admin's changes, checked: one row per phone_number_id, workflows that exist, flows
    that run (and keep cancellation and complaint reachable)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = MessagingRepository(session)

    async def create(self, **fields: Any) -> WhatsAppNumber:
        phone_number_id = fields["phone_number_id"]
        if await self.repo.whatsapp_number_by_id(phone_number_id) is not None:
            raise Problem(
                409, "Number in use", f"phone_number_id: {phone_number_id} is already registered"
            )
        await self._check_workflow(fields.get("workflow_sid"))
        check_document(fields.get("flow"), load_chat_flow)
        now = utcnow()
        number = WhatsAppNumber(sid=new_sid("PN"), created_at=now, updated_at=now, **fields)
        self.session.add(number)
        await self.session.flush()
        return number

    async def update(self, sid: str, **changes: Any) -> WhatsAppNumber:
        number = await self.repo.whatsapp_number(sid)
        if number is None:
            raise Problem(404, "Not found", f"no WhatsApp number {sid}")
        if "workflow_sid" in changes:
            await self._check_workflow(changes["workflow_sid"])
        if "flow" in changes:
            check_document(changes["flow"], load_chat_flow)
        for name, value in changes.items():
            setattr(number, name, value)
        number.updated_at = utcnow()
        await self.session.flush()
        return number

    async def remove(self, sid: str) -> Literal["deleted", "disabled"]:
        """Delete a number never used; disable one with conversations, kept for their history."""
        number = await self.repo.whatsapp_number(sid)
        if number is None:
            raise Problem(404, "Not found", f"no WhatsApp number {sid}")
        if await self.repo.whatsapp_number_used(number.phone_number_id):
            number.enabled = False
            number.updated_at = utcnow()
            await self.session.flush()
            return "disabled"
        await self.session.delete(number)
        await self.session.flush()
        return "deleted"

    async def _check_workflow(self, workflow_sid: str | None) -> None:
        if workflow_sid is not None and await self.repo.workflow(workflow_sid) is None:
            raise Problem(422, "Unknown workflow", f"workflow_sid: no workflow {workflow_sid}")


@dataclass(frozen=True, slots=True)
class NumberEntry:
    """A registered number as read, detached from any session."""

    name: str
    display_phone_number: str
    connector: WhatsAppCloudConnector
    workflow_sid: str | None
    enabled: bool
    # The number's own chat flow, parsed once per document; None: the default chat flow.
    flow: ChatFlow | None
    flow_document: Mapping[str, Any] | None


class WhatsAppNumbers:
    """The registered numbers, kept in memory for a few seconds: every send and every routed
    conversation needs its number, and reading it each time would be a query per message."""

    def __init__(self, runtime: Runtime, fallback: WhatsAppCloudConnector) -> None:
        self.runtime = runtime
        self.fallback = fallback
        self._entries: Mapping[str, NumberEntry] = {}
        self._read_at: float | None = None

    def forget(self) -> None:
        self._read_at = None

    async def entry(self, phone_number_id: str) -> NumberEntry | None:
        now = time.monotonic()
        if self._read_at is None or now - self._read_at >= TTL_SECONDS:
            async with self.runtime.sessions() as session:
                rows = await MessagingRepository(session).whatsapp_numbers()
            self._entries = {row.phone_number_id: self._entry(row) for row in rows}
            self._read_at = now
        return self._entries.get(phone_number_id)

    def _entry(self, row: WhatsAppNumber) -> NumberEntry:
        known = self._entries.get(row.phone_number_id)
        connector = (
            known.connector
            if known is not None and known.connector.access_token == row.access_token
            else WhatsAppCloudConnector(
                app_secret=self.fallback.app_secret,
                access_token=row.access_token,
                phone_number_id=row.phone_number_id,
                graph_base=self.fallback.graph_base,
                api_version=self.fallback.api_version,
            )
        )
        if known is not None and known.flow_document == row.flow:
            flow = known.flow
        else:
            flow = _chat_flow(row)
        return NumberEntry(
            row.name,
            row.display_phone_number,
            connector,
            row.workflow_sid,
            row.enabled,
            flow,
            row.flow,
        )

    async def sender(self, phone_number_id: str) -> WhatsAppCloudConnector:
        """The connector that sends from this phone_number_id (with its token)."""
        entry = await self.entry(phone_number_id)
        if entry is None:
            return self.fallback
        if not entry.enabled:
            raise ProviderError(
                "disabled",
                f"O número de WhatsApp {entry.display_phone_number} ({entry.name}) está "
                "desativado em Administração › Canais; ative-o para enviar.",
                retryable=False,
            )
        return entry.connector

    async def workflow_for(self, phone_number_id: str) -> str | None:
        """The number's own workflow; None for the default one."""
        entry = await self.entry(phone_number_id)
        return entry.workflow_sid if entry is not None else None

    async def flow_for(self, phone_number_id: str) -> ChatFlow | None:
        """The number's own bot flow; None for the default chat flow."""
        entry = await self.entry(phone_number_id)
        return entry.flow if entry is not None else None

    async def receives(self, phone_number_id: str) -> bool:
        """Whether a customer's message to this number opens or continues a conversation:
        not when an admin disabled (or removed) it, said in the log since the customer is left
        unanswered. A number nobody configured is served as before (with the environment's
        token), but the operators should hear of it too."""
        entry = await self.entry(phone_number_id)
        if entry is None:
            if phone_number_id != self.fallback.phone_number_id:
                log.warning(
                    "WhatsApp message for phone_number_id %s, which is neither registered in "
                    "/admin nor ATENDE_WHATSAPP_PHONE_NUMBER_ID: kept, and answered with the "
                    "environment's access token",
                    phone_number_id,
                )
            return True
        if entry.enabled:
            return True
        log.warning(
            "WhatsApp message for %s (%s), disabled in /admin: acknowledged and kept in "
            "inbound_events as received, but no conversation is opened",
            entry.display_phone_number,
            phone_number_id,
        )
        return False


def _chat_flow(row: WhatsAppNumber) -> ChatFlow | None:
    """A stored flow was checked when saved; one that no longer loads (rules tightened since,
    or the row edited by hand) leaves its number on the default flow, said in the log, rather
    than its customers unanswered."""
    if row.flow is None:
        return None
    try:
        return load_chat_flow(row.flow)
    except FlowError as error:
        log.error(
            "The bot flow of WhatsApp number %s (%s) no longer loads (%s): its conversations "
            "run the default chat flow until it is fixed in /admin",
            row.display_phone_number,
            row.phone_number_id,
            error,
        )
        return None
