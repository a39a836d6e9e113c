"""Meta's WhatsApp Cloud API: checking and reading its webhooks, sending through the Graph API.

Free of the web framework and of the database: the webhook endpoint hands it the raw body and
stores what `parse` returns; the senders hand it a payload and an aiohttp session."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp

from atende.channels.connector import SignatureError
from atende.channels.whatsapp_cloud_errors import THROTTLING_CODES, describe
from atende.conversations.items import (
    FetchedMedia,
    InboundMessage,
    MediaRef,
    ProviderError,
    RawItem,
    StatusUpdate,
)
from atende.conversations.phones import from_wa_id

PROVIDER = "meta"
GRAPH_VERSION = "v21.0"
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
# What a request to the Graph API can fail with before any answer: refused or dropped
# connections, timeouts (aiohttp raises the builtin TimeoutError for some of them).
NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError)


class WhatsAppCloudConnector:
    name = PROVIDER

    def __init__(
        self,
        *,
        app_secret: str | None,
        access_token: str | None,
        phone_number_id: str | None,
        graph_base: str = "https://graph.facebook.com",
        verify_token: str | None = None,
        api_version: str = GRAPH_VERSION,
    ) -> None:
        self.app_secret = app_secret
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.graph_base = graph_base.rstrip("/")
        self.verify_token = verify_token
        self.api_version = api_version

    # --- webhooks -------------------------------------------------------------------------

    def verify(self, url: str, headers: Mapping[str, str], body: bytes) -> None:
        """Meta signs the raw body with the app secret (HMAC-SHA256), whatever the URL."""
        signature = _header(headers, "x-hub-signature-256")
        if not self.app_secret or not signature:
            raise SignatureError("missing X-Hub-Signature-256 or app secret not configured")
        expected = "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.strip()):
            raise SignatureError("X-Hub-Signature-256 does not match the body")

    def subscription_challenge(self, mode: str | None, token: str | None, challenge: str) -> str:
        """The GET handshake Meta makes when the webhook URL is configured."""
        if mode != "subscribe" or not self.verify_token or token != self.verify_token:
            raise SignatureError("hub.verify_token does not match")
        return challenge

    def parse(self, body: bytes, content_type: str = "application/json") -> Sequence[RawItem]:
        """Split a webhook into its messages and statuses; raises ValueError if it is not one."""
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError("the body is not JSON") from exc
        if not isinstance(document, dict) or document.get("object") != "whatsapp_business_account":
            raise ValueError("not a whatsapp_business_account webhook")
        return list(_items(document))

    # --- reading stored items ---------------------------------------------------------------

    @staticmethod
    def message(payload: Mapping[str, Any]) -> InboundMessage:
        return _message(payload)

    @staticmethod
    def status(payload: Mapping[str, Any]) -> StatusUpdate:
        return _status(payload)

    # --- Graph API ----------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.graph_base}/{self.api_version}/{path}"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token or ''}"}

    async def send(
        self, http: aiohttp.ClientSession, payload: Mapping[str, Any], phone_number_id: str
    ) -> str:
        """POST a message; returns its wamid or raises ProviderError."""
        url = self._url(f"{phone_number_id}/messages")
        try:
            async with http.post(
                url, json=dict(payload), headers=self._auth(), allow_redirects=False
            ) as response:
                status, body = response.status, await response.read()
        except NETWORK_ERRORS as exc:
            raise ProviderError(
                "network", f"Sem resposta do WhatsApp ({exc.__class__.__name__}).", retryable=True
            ) from exc
        document = _json(body)
        if _success(status):
            messages = document.get("messages") or [{}]
            wamid = messages[0].get("id")
            if isinstance(wamid, str) and wamid:
                return wamid
            raise ProviderError("invalid", "O WhatsApp aceitou o envio sem devolver o id.")
        raise _graph_error(status, document)

    async def fetch_media(self, http: aiohttp.ClientSession, media_id: str) -> FetchedMedia:
        """Look the media id up, then download it with the same token (Meta's two steps)."""
        try:
            async with http.get(
                self._url(media_id), headers=self._auth(), allow_redirects=False
            ) as meta:
                status, body = meta.status, await meta.read()
            document = _json(body)
            if not _success(status):
                raise _graph_error(status, document)
            url = document.get("url")
            if not isinstance(url, str):
                raise ProviderError("invalid", "O WhatsApp não informou onde baixar a mídia.")
            async with http.get(url, headers=self._auth(), allow_redirects=False) as download:
                status, content = download.status, await download.read()
                served_as = download.headers.get("Content-Type")
        except NETWORK_ERRORS as exc:
            raise ProviderError("network", str(exc), retryable=True) from exc
        if not _success(status):
            retryable = status >= 500 or status == 429
            raise ProviderError(str(status), "download failed", retryable=retryable)
        digest = hashlib.sha256(content).hexdigest()
        expected = document.get("sha256")
        if isinstance(expected, str) and expected and expected != digest:
            raise ProviderError("sha256", "a mídia baixada não confere com o sha256 do WhatsApp")
        mime = str(document.get("mime_type") or served_as or "")
        return FetchedMedia(content, mime or "application/octet-stream", digest)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _success(status: int) -> bool:
    return 200 <= status < 300


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:  # not JSON, or not text
        return {}
    return document if isinstance(document, dict) else {}


def _graph_error(status: int, document: Mapping[str, Any]) -> ProviderError:
    error = document.get("error") or {}
    code = str(error.get("code") or status)
    details = (error.get("error_data") or {}).get("details") or error.get("message") or ""
    retryable = code in THROTTLING_CODES or status == 429 or status >= 500
    return ProviderError(code, describe(code, str(details)), retryable=retryable)


# --- webhook items --------------------------------------------------------------------------


def _items(document: Mapping[str, Any]) -> Iterator[RawItem]:
    for entry in document.get("entry") or []:
        for change in entry.get("changes") or []:
            if change.get("field") != "messages":
                continue
            value = change.get("value") or {}
            metadata = value.get("metadata") or {}
            contacts = value.get("contacts") or []
            for message in value.get("messages") or []:
                wamid = str(message.get("id") or "")
                if not wamid:
                    continue
                contact = _contact_for(message, contacts)
                payload = {"metadata": metadata, "contact": contact, "message": message}
                yield RawItem(PROVIDER, f"meta:message:{wamid}", "message", wamid, payload)
            for status in value.get("statuses") or []:
                wamid = str(status.get("id") or "")
                name = str(status.get("status") or "")
                if not wamid or not name:
                    continue
                payload = {"metadata": metadata, "status": status}
                key = f"meta:status:{wamid}:{name}"
                yield RawItem(PROVIDER, key, "status", wamid, payload)


def _contact_for(message: Mapping[str, Any], contacts: Sequence[Any]) -> dict[str, Any]:
    sender = message.get("from")
    user_id = message.get("from_user_id")
    for contact in contacts:
        if (sender and contact.get("wa_id") == sender) or (
            user_id and contact.get("user_id") == user_id
        ):
            return dict(contact)
    return dict(contacts[0]) if len(contacts) == 1 else {}


def _timestamp(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


def _message(payload: Mapping[str, Any]) -> InboundMessage:
    message: Mapping[str, Any] = payload["message"]
    contact: Mapping[str, Any] = payload.get("contact") or {}
    metadata: Mapping[str, Any] = payload.get("metadata") or {}
    kind = str(message.get("type") or "unsupported")
    raw_phone = message.get("from") or contact.get("wa_id")
    text, content, media, bot_reply = _body(kind, message)
    return InboundMessage(
        provider=PROVIDER,
        channel="whatsapp",
        provider_id=str(message["id"]),
        business_address=str(metadata.get("phone_number_id") or ""),
        sent_at=_timestamp(message.get("timestamp")),
        type=kind,
        text=text,
        content=content,
        media=media,
        phone=from_wa_id(str(raw_phone)) if raw_phone else None,
        whatsapp_user_id=message.get("from_user_id") or contact.get("user_id"),
        profile_name=str((contact.get("profile") or {}).get("name") or ""),
        reply_to=(message.get("context") or {}).get("id"),
        bot_reply=bot_reply,
    )


def _body(
    kind: str, message: Mapping[str, Any]
) -> tuple[str | None, dict[str, Any], MediaRef | None, str | None]:
    """(text, content, media, what a bot reads) for each of WhatsApp's message types."""
    part = message.get(kind)
    section: dict[str, Any] = dict(part) if isinstance(part, Mapping) else {}
    if kind == "text":
        body = str(section.get("body") or "")
        return body, {}, None, body
    if kind in MEDIA_TYPES:
        media = MediaRef(
            provider_media_id=section.get("id"),
            mime_type=str(section.get("mime_type") or "application/octet-stream"),
            filename=section.get("filename"),
            sha256=section.get("sha256"),
        )
        return section.get("caption"), section, media, None
    if kind == "interactive":
        reply_kind = str(section.get("type") or "")
        reply = dict(section.get(reply_kind) or {})
        content = {"kind": reply_kind, **reply}
        return reply.get("title"), content, None, reply.get("id") or reply.get("title")
    if kind == "button":
        return section.get("text"), section, None, section.get("payload") or section.get("text")
    if kind == "reaction":
        return section.get("emoji"), section, None, None
    if kind == "location":
        where = (
            ", ".join(str(section[key]) for key in ("name", "address") if section.get(key))
            or f"{section.get('latitude')}, {section.get('longitude')}"
        )
        return where, section, None, None
    if kind == "contacts":
        people = list(message.get("contacts") or [])
        return _contacts_text(people), {"contacts": people}, None, None
    # unsupported, system, order, request_welcome…: kept whole, shown by type.
    extra = {key: value for key, value in message.items() if key not in _ENVELOPE}
    return None, extra, None, None


_ENVELOPE = frozenset({"from", "from_user_id", "id", "timestamp", "type", "context"})


def _contacts_text(people: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for person in people:
        name = (person.get("name") or {}).get("formatted_name") or ""
        phones = ", ".join(str(phone.get("phone")) for phone in person.get("phones") or [])
        lines.append(f"{name} {phones}".strip())
    return "\n".join(lines)


def _status(payload: Mapping[str, Any]) -> StatusUpdate:
    status: Mapping[str, Any] = payload["status"]
    errors = status.get("errors") or []
    code = message = None
    if errors:
        first = errors[0]
        code = str(first.get("code") or "")
        details = (first.get("error_data") or {}).get("details") or first.get("title") or ""
        message = describe(code, str(details))
    return StatusUpdate(
        provider=PROVIDER,
        provider_id=str(status["id"]),
        status=str(status["status"]),
        at=_timestamp(status.get("timestamp")),
        error_code=code,
        error_message=message,
    )
