"""JSON shapes of conversations and messages, shared by the API, push events and the widget."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from atende.conversations import window
from atende.conversations.models import Contact, Conversation, Message


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def message_view(message: Message) -> dict[str, Any]:
    return {
        "sid": message.sid,
        "id": message.id,
        "conversation_sid": message.conversation_sid,
        "direction": message.direction,
        "author": message.author,
        "author_sid": message.author_sid,
        "type": message.type,
        "text": message.text,
        "content": message.content,
        "media_sid": message.media_sid,
        "status": message.status,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "provider_id": message.provider_id,
        "sent_at": _iso(message.sent_at),
    }


def conversation_view(conversation: Conversation, now: datetime) -> dict[str, Any]:
    expires = window.expires_at(conversation.last_inbound_at)
    whatsapp = conversation.channel == "whatsapp"
    return {
        "sid": conversation.sid,
        "contact_sid": conversation.contact_sid,
        "channel": conversation.channel,
        "provider": conversation.provider,
        "customer_address": conversation.customer_address,
        "business_address": conversation.business_address,
        "protocol": conversation.protocol,
        "state": conversation.state,
        "attributes": conversation.attributes,
        "workspace_sid": conversation.workspace_sid,
        "task_sid": conversation.task_sid,
        "worker_sid": conversation.worker_sid,
        "last_inbound_at": _iso(conversation.last_inbound_at),
        # Only WhatsApp has a window; other channels may always write.
        "window_expires_at": _iso(expires) if whatsapp else None,
        "window_open": window.is_open(conversation.last_inbound_at, now) if whatsapp else True,
        "disposition": conversation.disposition,
        "opened_at": _iso(conversation.opened_at),
        "assigned_at": _iso(conversation.assigned_at),
        "closed_at": _iso(conversation.closed_at),
    }


def contact_view(contact: Contact) -> dict[str, Any]:
    return {
        "sid": contact.sid,
        "name": contact.name,
        "phone": contact.phone,
        "whatsapp_user_id": contact.whatsapp_user_id,
        "email": contact.email,
    }
