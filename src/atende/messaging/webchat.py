"""One visitor's WebSocket: the web chat widget's whole conversation with Atende.

The widget says hello with the token it kept (or none, the first time); the server answers with
the token, then the open conversation and its messages, so a page reload picks up where it was.
After that, what the visitor writes is stored and answered by the bot (then the agent), and
every message of the conversation comes back over the socket as it is committed.

Widget → server: {"type": "hello", "token"?}, {"type": "start"},
{"type": "message", "id", "text"} or {"type": "message", "id", "choice": {"id", "title"}}.
Server → widget: welcome, conversation, message, state, closed, ack, error."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy.ext.asyncio import AsyncSession

from atende.channels.webchat import BUSINESS_ADDRESS, PROVIDER
from atende.conversations import events
from atende.conversations.models import Conversation
from atende.conversations.repository import ConversationRepository
from atende.conversations.service import Address, ConversationService
from atende.conversations.views import message_view
from atende.db.base import utcnow

if TYPE_CHECKING:
    from atende.messaging.hub import MessagingHub

HELLO_TIMEOUT = 10.0
CLIENT_ID_LIMIT = 64


def visitor_message(message: dict[str, Any]) -> dict[str, Any]:
    """What the visitor may see of a message: no worker SIDs, no provider internals."""
    content = message.get("content") or {}
    return {
        "sid": message["sid"],
        "direction": message["direction"],
        "author": message["author"],
        "type": message["type"],
        "text": message["text"],
        "options": content.get("options") if message["type"] == "interactive" else None,
        "status": message["status"],
        "sent_at": message["sent_at"],
    }


def conversation_summary(conversation: Conversation) -> dict[str, Any]:
    return {
        "type": "conversation",
        "sid": conversation.sid,
        "protocol": conversation.protocol,
        "state": conversation.state,
    }


class VisitorSession:
    def __init__(self, hub: MessagingHub, websocket: WebSocket) -> None:
        self.hub = hub
        self.websocket = websocket
        self.visitor = ""
        self.conversations: set[str] = set()

    def _concerns(self, event: dict[str, Any]) -> bool:
        data = event.get("data") or {}
        return (
            event.get("resource_type") == "conversation"
            and data.get("conversation_sid") in self.conversations
        )

    async def run(self) -> None:
        try:
            hello = await asyncio.wait_for(self.websocket.receive_json(), HELLO_TIMEOUT)
        except (TimeoutError, WebSocketDisconnect, ValueError):
            return
        connector = self.hub.webchat
        token = hello.get("token") if isinstance(hello, dict) else None
        visitor = connector.visitor_of(token if isinstance(token, str) else None)
        if visitor is None:
            visitor, token = connector.new_visitor()
        self.visitor = visitor
        await self.websocket.send_json({"type": "welcome", "token": token})
        with self.hub.runtime.services["bus"].subscribe(self._concerns) as subscription:
            await self._resume()
            reader = asyncio.create_task(self._read())
            writer = asyncio.create_task(self._forward(subscription))
            try:
                await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (reader, writer):
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task

    async def _open_conversation(self, session: AsyncSession) -> Conversation | None:
        repository = ConversationRepository(session)
        contact = await repository.contact_by(visitor=self.visitor)
        if contact is None:
            return None
        return await repository.open_for(contact.sid, PROVIDER, BUSINESS_ADDRESS)

    async def _resume(self) -> None:
        async with self.hub.runtime.sessions() as session:
            conversation = await self._open_conversation(session)
            if conversation is None:
                await self.websocket.send_json({"type": "idle"})
                return
            self.conversations.add(conversation.sid)
            messages = await ConversationRepository(session).messages(conversation.sid)
            await self.websocket.send_json(conversation_summary(conversation))
            for message in messages:
                view = visitor_message(message_view(message))
                await self.websocket.send_json({"type": "message", "message": view})

    async def _read(self) -> None:
        while True:
            try:
                data = await self.websocket.receive_json()
            except (WebSocketDisconnect, RuntimeError):
                return
            except ValueError:
                await self.websocket.send_json({"type": "error", "detail": "not JSON"})
                continue
            kind = data.get("type") if isinstance(data, dict) else None
            if kind == "start":
                await self._start()
            elif kind == "message":
                await self._message(data)
            else:
                await self.websocket.send_json({"type": "error", "detail": "unknown type"})

    async def _start(self) -> None:
        async with self.hub.writing() as session:
            conversation = await self._open_conversation(session)
            if conversation is None:
                service = ConversationService(session)
                contact = await service.contact_for(visitor=self.visitor)
                address = Address(PROVIDER, PROVIDER, self.visitor, BUSINESS_ADDRESS)
                workspace = await self.hub.router.workspace_for(session)
                conversation = await service.open(contact, address, workspace_sid=workspace)
                self.conversations.add(conversation.sid)
                await self.hub.bot_turn(session, conversation, None, opened=True)
            self.conversations.add(conversation.sid)
            summary = conversation_summary(conversation)
            await session.commit()
        await self.websocket.send_json(summary)

    async def _message(self, data: dict[str, Any]) -> None:
        client_id = str(data.get("id") or "")[:CLIENT_ID_LIMIT]
        choice = data.get("choice") if isinstance(data.get("choice"), dict) else None
        text = data.get("text")
        if not client_id or (choice is None and not (isinstance(text, str) and text.strip())):
            detail = "a message needs an id and text or a choice"
            await self.websocket.send_json({"type": "error", "detail": detail})
            return
        item = self.hub.webchat.inbound(
            self.visitor,
            client_id,
            utcnow(),
            text=text if isinstance(text, str) else None,
            choice_id=str(choice["id"]) if choice and choice.get("id") else None,
            choice_title=str(choice.get("title") or "") if choice else None,
        )
        async with self.hub.writing() as session:
            workspace = await self.hub.router.workspace_for(session)
            received = await ConversationService(session).receive(item, workspace)
            if received is not None:
                self.conversations.add(received.conversation.sid)
                await self.hub.after_inbound(session, received, item)
            await session.commit()
        await self.websocket.send_json({"type": "ack", "id": client_id})

    async def _forward(self, subscription: Any) -> None:
        while True:
            event = await subscription.get()
            outgoing = _for_visitor(event)
            if outgoing is not None:
                await self.websocket.send_json(outgoing)


def _for_visitor(event: dict[str, Any]) -> dict[str, Any] | None:
    kind = event.get("event_type")
    data = event.get("data") or {}
    if kind in (events.MESSAGE_ADDED, events.MESSAGE_UPDATED):
        return {"type": "message", "message": visitor_message(data["message"])}
    if kind in (events.QUEUED, events.ASSIGNED, events.TRANSFERRED):
        state = {events.QUEUED: "queued", events.ASSIGNED: "assigned"}.get(kind, "queued")
        return {"type": "state", "conversation_sid": data["conversation_sid"], "state": state}
    if kind == events.CLOSED:
        return {"type": "closed", "conversation_sid": data["conversation_sid"]}
    return None
