"""The native API the desk uses for conversations: list, read, send, transfer, wrap up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import PlainTextResponse

from atende.auth.models import Role
from atende.conversations.repository import ConversationRepository
from atende.conversations.transcript import render
from atende.conversations.views import contact_view, conversation_view, message_view
from atende.db.base import utcnow
from atende.deps import Admin, AnyUser, DbSession, RuntimeDep
from atende.errors import Problem, TwilioError
from atende.messaging.desk import Desk, may_see
from atende.messaging.media import check_attachment, may_share, rule_for
from atende.messaging.schemas import SendMessage, TemplateIn, Transfer, WrapUp
from atende.messaging.templates import TemplateRegistry, template_view
from atende.messaging.webhooks import hub_of

router = APIRouter(prefix="/api", tags=["conversations"])

OPEN_STATES = ("bot", "queued", "assigned")


@router.get("/conversations")
async def list_conversations(
    session: DbSession,
    principal: AnyUser,
    state: list[str] = Query(default=[]),
    channel: str | None = None,
    worker_sid: str | None = None,
) -> dict[str, Any]:
    """An agent's own conversations; supervisors see everyone's (or one agent's)."""
    if not principal.at_least(Role.SUPERVISOR):
        if principal.worker_sid is None:
            return {"conversations": []}
        worker_sid = principal.worker_sid
    rows = await ConversationRepository(session).listing(
        worker_sid=worker_sid, states=state or OPEN_STATES, channel=channel
    )
    now = utcnow()
    return {"conversations": [conversation_view(row, now) for row in rows]}


@router.get("/conversations/{sid}")
async def read_conversation(
    sid: str, session: DbSession, runtime: RuntimeDep, principal: AnyUser
) -> dict[str, Any]:
    desk = Desk(session, hub_of(runtime), principal)
    conversation = await desk.conversation(sid)
    contact = await desk.repository.contact(conversation.contact_sid)
    participants = await desk.repository.participants(sid)
    return {
        **conversation_view(conversation, utcnow()),
        "contact": contact_view(contact) if contact is not None else None,
        "participants": [
            {
                "kind": p.kind,
                "identity": p.identity,
                "joined_at": p.joined_at.isoformat(),
                "left_at": p.left_at.isoformat() if p.left_at else None,
            }
            for p in participants
        ],
    }


@router.get("/conversations/{sid}/messages")
async def read_messages(
    sid: str, session: DbSession, runtime: RuntimeDep, principal: AnyUser, after: int = 0
) -> dict[str, Any]:
    desk = Desk(session, hub_of(runtime), principal)
    await desk.conversation(sid)
    messages = await desk.repository.messages(sid, after)
    return {"messages": [message_view(message) for message in messages]}


@router.post("/conversations/{sid}/messages", status_code=202)
async def send_message(
    sid: str, body: SendMessage, session: DbSession, runtime: RuntimeDep, principal: AnyUser
) -> dict[str, Any]:
    """Queued for delivery (202); its status moves as the provider reports."""
    desk = Desk(session, hub_of(runtime), principal)
    conversation = await desk.conversation(sid)
    message = await desk.send(conversation, body)
    return message_view(message)


@router.post("/conversations/{sid}/attachments", status_code=202)
async def send_attachment(
    sid: str,
    session: DbSession,
    runtime: RuntimeDep,
    principal: AnyUser,
    file: UploadFile = File(description="an image, PDF, audio or video within WhatsApp's limits"),
    caption: str | None = Form(default=None, max_length=1024),
) -> dict[str, Any]:
    """A file from the agent (multipart): kept, then queued like any message (202)."""
    desk = Desk(session, hub_of(runtime), principal)
    conversation = await desk.conversation(sid)
    filename = (file.filename or "anexo").rsplit("/", 1)[-1][:255]
    mime, rule = rule_for(file.content_type, filename)
    content = await file.read(rule.max_bytes + 1)
    attachment = check_attachment(mime, rule, filename, content)
    message = await desk.attach(conversation, attachment, caption)
    return message_view(message)


@router.post("/conversations/{sid}/transfer")
async def transfer(
    sid: str, body: Transfer, session: DbSession, runtime: RuntimeDep, principal: AnyUser
) -> dict[str, Any]:
    hub = hub_of(runtime)
    conversation = await Desk(session, hub, principal).conversation(sid)
    by = principal.worker_sid or principal.name
    try:
        await hub.router.transfer(
            session, conversation, by, worker_sid=body.worker_sid, queue_sid=body.queue_sid
        )
    except TwilioError as error:
        raise Problem(422, "Transfer refused", error.message) from error
    return conversation_view(conversation, utcnow())


@router.post("/conversations/{sid}/wrapup")
async def wrap_up(
    sid: str, body: WrapUp, session: DbSession, runtime: RuntimeDep, principal: AnyUser
) -> dict[str, Any]:
    hub = hub_of(runtime)
    conversation = await Desk(session, hub, principal).conversation(sid)
    by = principal.worker_sid or principal.name
    try:
        await hub.router.wrap_up(session, conversation, body.disposition, body.notes, by)
    except TwilioError as error:
        raise Problem(409, "Wrap-up refused", error.message) from error
    return conversation_view(conversation, utcnow())


@router.get("/conversations/{sid}/transcript", response_class=PlainTextResponse)
async def transcript(
    sid: str, session: DbSession, runtime: RuntimeDep, principal: AnyUser
) -> PlainTextResponse:
    desk = Desk(session, hub_of(runtime), principal)
    conversation = await desk.conversation(sid)
    kept = await desk.repository.transcript(sid)
    text = kept.text if kept else render(conversation, await desk.repository.messages(sid))
    return PlainTextResponse(text)


@router.get("/contacts/{sid}/history")
async def contact_history(sid: str, session: DbSession, principal: AnyUser) -> dict[str, Any]:
    """Every message of a contact on every channel: supervisors, or the agent serving them."""
    repository = ConversationRepository(session)
    contact = await repository.contact(sid)
    if contact is None:
        raise Problem(404, "Not found", f"contact {sid} does not exist")
    rows = await repository.history(sid)
    if not principal.at_least(Role.SUPERVISOR) and not any(
        may_see(principal, conversation) for conversation, _ in rows
    ):
        raise Problem(403, "Forbidden", "only the agent serving this contact may read it")
    conversations: dict[str, dict[str, Any]] = {}
    now = utcnow()
    for conversation, _ in rows:
        conversations.setdefault(conversation.sid, conversation_view(conversation, now))
    return {
        "contact": contact_view(contact),
        "conversations": list(conversations.values()),
        "messages": [message_view(message) for _, message in rows],
    }


@router.get("/media/{sid}")
async def media(sid: str, session: DbSession, principal: AnyUser) -> Response:
    repository = ConversationRepository(session)
    message = await repository.message_with_media(sid)
    conversation = await repository.get(message.conversation_sid) if message else None
    if conversation is None or not may_see(principal, conversation):
        raise Problem(404, "Not found", f"media {sid} does not exist or is not yours")
    file = await repository.media_content(sid)
    if file is None or file.status != "stored" or file.content is None:
        raise Problem(404, "Not yet available", "the media has not been fetched yet")
    return Response(file.content, media_type=file.mime_type)


@router.get("/media/{sid}/shared/{share}", include_in_schema=False)
async def shared_media(sid: str, share: str, session: DbSession, runtime: RuntimeDep) -> Response:
    """An agent's attachment, fetched by WhatsApp or Twilio with the link they were given. The
    providers download it when the message is sent; the link opens the file for
    `ATENDE_MEDIA_LINK_SECONDS` after that, not for ever."""
    repository = ConversationRepository(session)
    message = await repository.message_with_media(sid)
    if message is None or message.direction != "outbound" or not may_share(message.content, share):
        raise Problem(404, "Not found", f"media {sid} does not exist")
    lifetime = timedelta(seconds=runtime.settings.media_link_seconds)
    if utcnow() - message.sent_at > lifetime:
        raise Problem(410, "Link expired", f"media {sid}: the link lasts {lifetime} after sending")
    file = await repository.media_content(sid)
    if file is None or file.content is None:
        raise Problem(404, "Not found", f"media {sid} does not exist")
    name = quote(file.filename or sid, safe="")
    headers = {"Content-Disposition": f"inline; filename*=UTF-8''{name}"}
    return Response(file.content, media_type=file.mime_type, headers=headers)


@router.get("/whatsapp/templates")
async def list_templates(session: DbSession, _principal: AnyUser) -> dict[str, Any]:
    templates = await TemplateRegistry(session).approved()
    return {"templates": [template_view(template) for template in templates]}


@router.put("/whatsapp/templates", status_code=200)
async def register_template(body: TemplateIn, session: DbSession, _admin: Admin) -> dict[str, Any]:
    template = await TemplateRegistry(session).register(
        name=body.name,
        language=body.language,
        body=body.body,
        variables=body.variables,
        category=body.category,
        components=body.components,
        content_sid=body.content_sid,
    )
    return template_view(template)
