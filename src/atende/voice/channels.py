"""Voice channels (company numbers): from the environment at start-up, or by admins."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.config import Settings
from atende.db.base import utcnow
from atende.errors import Problem
from atende.flows.loader import check_document
from atende.sids import new_sid
from atende.voice.models import VoiceChannel
from atende.voice.repository import VoiceRepository


class ChannelService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = VoiceRepository(session)

    async def create(self, **fields: Any) -> VoiceChannel:
        if await self.repo.channel_by_number(fields["phone_number"]) is not None:
            raise Problem(409, "Number in use", f"phone_number: {fields['phone_number']} exists")
        check_document(fields.get("flow"))
        now = utcnow()
        channel = VoiceChannel(sid=new_sid("VN"), created_at=now, updated_at=now, **fields)
        await self._resolve_workspace(channel)
        self.session.add(channel)
        await self.session.flush()
        return channel

    async def update(self, sid: str, **changes: Any) -> VoiceChannel:
        channel = await self.repo.channel(sid)
        if channel is None:
            raise Problem(404, "Not found", f"no voice channel {sid}")
        if "flow" in changes:
            check_document(changes["flow"])
        for name, value in changes.items():
            setattr(channel, name, value)
        channel.updated_at = utcnow()
        await self._resolve_workspace(channel)
        return channel

    async def _resolve_workspace(self, channel: VoiceChannel) -> None:
        if channel.workflow_sid is None:
            return
        workflow = await self.repo.workflow(channel.workflow_sid)
        if workflow is None:
            raise Problem(
                422, "Unknown workflow", f"workflow_sid: no workflow {channel.workflow_sid}"
            )
        channel.workspace_sid = workflow.workspace_sid

    async def ensure_from_settings(self, settings: Settings) -> VoiceChannel | None:
        """ATENDE_TWILIO_* configure one channel, routed to the default workflow."""
        if not (
            settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_number
        ):
            return None
        channel = await self.repo.channel_by_number(settings.twilio_number)
        fields: dict[str, Any] = {
            "account_sid": settings.twilio_account_sid,
            "auth_token": settings.twilio_auth_token,
        }
        if settings.default_workflow_sid and await self.repo.workflow(
            settings.default_workflow_sid
        ):
            fields["workflow_sid"] = settings.default_workflow_sid
        if channel is None:
            return await self.create(
                name="Twilio (ambiente)", phone_number=settings.twilio_number, **fields
            )
        return await self.update(channel.sid, **fields)
