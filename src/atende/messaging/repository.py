"""Every query of messaging's own tables (and its read-only look at TaskRouter's workflows)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.channels.whatsapp_cloud import PROVIDER as META
from atende.conversations.models import Conversation
from atende.messaging.models import WhatsAppNumber
from atende.taskrouter import models as tr


class MessagingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def whatsapp_numbers(self) -> Sequence[WhatsAppNumber]:
        query = select(WhatsAppNumber).order_by(WhatsAppNumber.name, WhatsAppNumber.sid)
        return (await self.session.scalars(query)).all()

    async def whatsapp_number(self, sid: str) -> WhatsAppNumber | None:
        return await self.session.get(WhatsAppNumber, sid)

    async def whatsapp_number_by_id(self, phone_number_id: str) -> WhatsAppNumber | None:
        query = select(WhatsAppNumber).where(WhatsAppNumber.phone_number_id == phone_number_id)
        return (await self.session.scalars(query)).one_or_none()

    async def whatsapp_number_used(self, phone_number_id: str) -> bool:
        """Whether any conversation (and so its messages) went through this number."""
        query = select(
            exists().where(
                Conversation.provider == META, Conversation.business_address == phone_number_id
            )
        )
        return bool(await self.session.scalar(query))

    async def workflow(self, workflow_sid: str) -> tr.Workflow | None:
        return await self.session.get(tr.Workflow, workflow_sid)
