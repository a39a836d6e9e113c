"""Meta WhatsApp Cloud API webhook payloads of every inbound type, shaped as Meta sends them,
and the signature Meta puts on them (X-Hub-Signature-256: HMAC-SHA256 of the raw body)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "meta-verify-token"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
CUSTOMER_WA_ID = "5511987654321"
CUSTOMER_E164 = "+5511987654321"
CUSTOMER_NAME = "Maria Souza"
# A minute ago: messages inside WhatsApp's 24-hour window unless a test says otherwise.
TIMESTAMP = int(time.time()) - 60


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": DISPLAY_NUMBER,
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def inbound(
    wamid: str,
    kind: str,
    part: Any,
    *,
    wa_id: str | None = CUSTOMER_WA_ID,
    user_id: str | None = "BR.1502576394655843",
    name: str = CUSTOMER_NAME,
    timestamp: int = TIMESTAMP,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message webhook; `wa_id=None` is a customer whose phone number WhatsApp withholds."""
    contact: dict[str, Any] = {"profile": {"name": name}}
    message: dict[str, Any] = {"id": wamid, "timestamp": str(timestamp), "type": kind}
    if wa_id is not None:
        contact["wa_id"] = wa_id
        message["from"] = wa_id
    if user_id is not None:
        contact["user_id"] = user_id
        message["from_user_id"] = user_id
    if kind == "contacts":
        message["contacts"] = part
    elif part is not None:
        message[kind] = part
    if context is not None:
        message["context"] = context
    return envelope({"contacts": [contact], "messages": [message]})


def text(wamid: str, body: str, **kwargs: Any) -> dict[str, Any]:
    return inbound(wamid, "text", {"body": body}, **kwargs)


def media(
    wamid: str, kind: str, media_id: str, mime: str, sha: str, **extra: Any
) -> dict[str, Any]:
    return inbound(wamid, kind, {"id": media_id, "mime_type": mime, "sha256": sha, **extra})


def button_reply(wamid: str, reply_id: str, title: str) -> dict[str, Any]:
    part = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
    return inbound(wamid, "interactive", part, context={"from": DISPLAY_NUMBER, "id": "wamid.X"})


def list_reply(wamid: str, reply_id: str, title: str) -> dict[str, Any]:
    part = {
        "type": "list_reply",
        "list_reply": {"id": reply_id, "title": title, "description": ""},
    }
    return inbound(wamid, "interactive", part)


def template_button(wamid: str, payload: str, label: str) -> dict[str, Any]:
    return inbound(wamid, "button", {"payload": payload, "text": label})


def reaction(wamid: str, to_wamid: str, emoji: str) -> dict[str, Any]:
    return inbound(wamid, "reaction", {"message_id": to_wamid, "emoji": emoji})


def location(wamid: str) -> dict[str, Any]:
    part = {
        "latitude": -23.5613,
        "longitude": -46.6565,
        "name": "Avenida Paulista",
        "address": "Av. Paulista, 1578 - São Paulo",
    }
    return inbound(wamid, "location", part)


def contacts(wamid: str) -> dict[str, Any]:
    card = [
        {
            "name": {"formatted_name": "João Lima", "first_name": "João"},
            "phones": [{"phone": "+55 11 91234-5678", "type": "CELL", "wa_id": "5511912345678"}],
        }
    ]
    return inbound(wamid, "contacts", card)


def unsupported(wamid: str) -> dict[str, Any]:
    document = inbound(wamid, "unsupported", None)
    message = document["entry"][0]["changes"][0]["value"]["messages"][0]
    message["errors"] = [
        {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
    ]
    return document


def status(
    wamid: str,
    name: str,
    *,
    timestamp: int = TIMESTAMP,
    error_code: int | None = None,
    recipient: str = CUSTOMER_WA_ID,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": wamid,
        "status": name,
        "timestamp": str(timestamp),
        "recipient_id": recipient,
    }
    if error_code is not None:
        entry["errors"] = [
            {
                "code": error_code,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Message could not be delivered"},
            }
        ]
    return envelope({"statuses": [entry]})
