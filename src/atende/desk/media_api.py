"""Signed, expiring links to a conversation's media, for what leaves the agent's session.

Inside the desk the agent's own pictures and files load from `/api/media/{sid}` with their
session, as before. A link the agent copies to hand on (to a customer, a colleague, an e-mail)
is issued here, only to someone who may see that conversation, and opens the file without a
session until it expires (`ATENDE_MEDIA_LINK_SECONDS`, 24 h by default); then it answers 410,
and an altered or made-up link 403 (atende.conversations.media_links)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from atende.config import Settings
from atende.conversations.media_links import PREFIX, MediaLinks
from atende.conversations.repository import ConversationRepository
from atende.db.base import utcnow
from atende.deps import AnyUser, DbSession, RuntimeDep
from atende.errors import Problem
from atende.messaging.desk import may_see

router = APIRouter(tags=["desk"])


class MediaLink(BaseModel):
    url: str
    expires_at: str


def media_links(settings: Settings) -> MediaLinks:
    return MediaLinks(settings.secret_key, timedelta(seconds=settings.media_link_seconds))


@router.post("/api/desk/media/{sid}/link")
async def issue_link(
    sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> MediaLink:
    """A link for the agent serving the conversation (or a supervisor) to hand on."""
    repository = ConversationRepository(session)
    message = await repository.message_with_media(sid)
    conversation = await repository.get(message.conversation_sid) if message else None
    if conversation is None or not may_see(principal, conversation):
        raise Problem(404, "Not found", f"media {sid} does not exist or is not yours")
    settings = runtime.settings
    link = media_links(settings).sign(settings.public_url, sid, utcnow())
    return MediaLink(url=link.url, expires_at=link.expires_at.isoformat())


@router.get(PREFIX + "{sid}", include_in_schema=False)
async def signed_media(
    sid: str,
    session: DbSession,
    runtime: RuntimeDep,
    expires: str | None = Query(default=None),
    signature: str | None = Query(default=None),
) -> Response:
    media_links(runtime.settings).check(sid, expires, signature, utcnow())
    file = await ConversationRepository(session).media_content(sid)
    if file is None or file.status != "stored" or file.content is None:
        raise Problem(404, "Not found", f"media {sid} is not available")
    name = quote(file.filename or sid, safe="")
    headers = {
        "Content-Disposition": f"inline; filename*=UTF-8''{name}",
        # The link is the credential: no shared cache keeps the file past its expiry.
        "Cache-Control": "private, no-store",
        "Referrer-Policy": "no-referrer",
    }
    return Response(file.content, media_type=file.mime_type, headers=headers)
