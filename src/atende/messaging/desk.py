"""What an agent does with a conversation from the desk, with the rules that guard it: an
agent acts only on conversations they own (supervisors on all), nothing is sent on a closed
conversation, and WhatsApp's 24-hour window admits only approved templates once it closes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.models import Role
from atende.auth.principal import Principal
from atende.channels.twilio_messaging import (
    MEDIA_TOO_LARGE,
    MediaLimitError,
    OutboundMedia,
    check_media,
    media_of,
)
from atende.conversations import window
from atende.conversations.models import Conversation, Message
from atende.conversations.repository import ConversationRepository
from atende.conversations.views import conversation_view
from atende.db.base import utcnow
from atende.errors import Problem
from atende.messaging.bot import Draft
from atende.messaging.hub import MessagingHub
from atende.messaging.media import Attachment, keep_attachment, shared_link
from atende.messaging.schemas import SendMessage
from atende.messaging.templates import TemplateRegistry, template_view


def may_see(principal: Principal, conversation: Conversation) -> bool:
    if principal.at_least(Role.SUPERVISOR):
        return True
    return principal.worker_sid is not None and conversation.worker_sid == principal.worker_sid


class Desk:
    def __init__(self, session: AsyncSession, hub: MessagingHub, principal: Principal) -> None:
        self.session = session
        self.hub = hub
        self.principal = principal
        self.repository = ConversationRepository(session)

    async def conversation(self, sid: str) -> Conversation:
        conversation = await self.repository.get(sid)
        if conversation is None:
            raise Problem(404, "Not found", f"conversation {sid} does not exist")
        if not may_see(self.principal, conversation):
            raise Problem(403, "Forbidden", "this conversation belongs to another agent")
        return conversation

    async def send(self, conversation: Conversation, request: SendMessage) -> Message:
        _require_open(conversation)
        if request.type == "template":
            draft = await self._template(request)
        else:
            await self._within_window(conversation)
            draft = _draft(request)
            _within_media_limits(conversation, media_of(draft.content))
        return await self._queue(conversation, draft)

    async def attach(
        self, conversation: Conversation, attachment: Attachment, caption: str | None
    ) -> Message:
        """The file is kept here and the provider fetches it from a link given only to it;
        the history shows it from the stored copy."""
        _require_open(conversation)
        if caption and attachment.kind == "audio":
            raise Problem(422, "Invalid caption", "caption: WhatsApp sends audio without caption")
        await self._within_window(conversation)
        media = keep_attachment(conversation.provider, attachment)
        self.session.add(media)
        content: dict[str, Any] = {
            "link": shared_link(self.hub.runtime.settings.public_url, media.sid, attachment.share),
            "share": attachment.share,
            "mime_type": attachment.mime_type,
            "size": len(attachment.content),
        }
        if attachment.kind == "document":
            content["filename"] = attachment.filename
        _within_media_limits(conversation, media_of(content))
        draft = Draft(attachment.kind, caption or None, content)
        return await self._queue(conversation, draft, media.sid)

    async def _queue(
        self, conversation: Conversation, draft: Draft, media_sid: str | None = None
    ) -> Message:
        message = await self.hub.queue(
            self.session,
            conversation,
            draft,
            author="agent",
            author_sid=self.principal.worker_sid,
            media_sid=media_sid,
        )
        self.hub.wake_after_commit(self.session)
        return message

    async def _within_window(self, conversation: Conversation) -> None:
        now = utcnow()
        if conversation.channel != "whatsapp" or window.is_open(conversation.last_inbound_at, now):
            return
        templates = await TemplateRegistry(self.session).approved()
        view = conversation_view(conversation, now)
        raise Problem(
            409,
            "Outside the 24-hour window",
            "O cliente não escreve há mais de 24 horas: o WhatsApp só permite enviar um modelo "
            "aprovado até ele responder. Escolha um dos modelos abaixo.",
            window_expires_at=view["window_expires_at"],
            templates=[template_view(template) for template in templates],
        )

    async def _template(self, request: SendMessage) -> Draft:
        assert request.template is not None
        prepared = await TemplateRegistry(self.session).prepare(
            request.template, request.language, request.variables
        )
        return Draft("template", prepared.text, prepared.content)


def _require_open(conversation: Conversation) -> None:
    if conversation.state == "closed":
        raise Problem(409, "Conversation closed", "this conversation was already wrapped up")


def _within_media_limits(conversation: Conversation, media: list[OutboundMedia]) -> None:
    """Twilio's limits for its channel; Meta's Cloud API sends one media per message."""
    if conversation.provider == "twilio":
        try:
            check_media(conversation.channel, media)
        except MediaLimitError as error:
            status = 413 if error.code == MEDIA_TOO_LARGE else 422
            raise Problem(status, "Over the channel's media limits", str(error)) from error
    elif len(media) > 1:
        detail = f"WhatsApp takes one media per message; this one has {len(media)}"
        raise Problem(422, "Over the channel's media limits", detail)


def _draft(request: SendMessage) -> Draft:
    if request.type == "text":
        return Draft("text", request.text)
    links = request.media_links
    content: dict[str, Any] = {"link": links[0]}
    if len(links) > 1:
        content["links"] = links
    if request.filename:
        content["filename"] = request.filename
    return Draft(request.type, request.text, content)
