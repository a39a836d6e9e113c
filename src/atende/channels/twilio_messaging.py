"""Twilio Programmable Messaging: SMS and WhatsApp through Twilio's webhooks and Messages API.

One webhook URL receives both inbound messages and status callbacks (Twilio posts the same form
shape; a status callback carries `MessageStatus` other than "received"). Free of the web
framework and of the database."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import aiohttp

from atende.channels.connector import SignatureError, verify_twilio_signature
from atende.channels.twilio_messaging_errors import describe
from atende.conversations.items import (
    FetchedMedia,
    InboundMessage,
    MediaRef,
    ProviderError,
    RawItem,
    StatusUpdate,
)
from atende.conversations.phones import to_e164

PROVIDER = "twilio"
WHATSAPP_PREFIX = "whatsapp:"
INBOUND_STATUSES = frozenset({"received", "receiving"})
# Twilio's own statuses in the order Atende keeps (see conversations.status).
STATUS_NAMES = {"canceled": "failed", "scheduled": "queued"}
RETRYABLE_CODES = frozenset({"20429", "63018", "20500", "20503"})
# What a request to Twilio can fail with before any answer: refused or dropped connections,
# timeouts (aiohttp raises the builtin TimeoutError for some of them).
NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError)
MB = 1024 * 1024
# Twilio's own error codes for the same refusals, so the agent reads the same words either way.
TOO_MANY_MEDIA = "21623"
MEDIA_TOO_LARGE = "11751"


@dataclass(frozen=True, slots=True)
class MediaLimit:
    """What Twilio takes in one outbound message on a channel (its Messages API docs and
    errors 21623 and 11751): how many media, their total size, and images' own size."""

    name: str
    max_count: int
    max_total_bytes: int
    max_image_bytes: int | None = None


MEDIA_LIMITS = {
    "sms": MediaLimit("MMS through Twilio", 10, 5 * MB),
    "whatsapp": MediaLimit("WhatsApp through Twilio", 1, 16 * MB, max_image_bytes=5 * MB),
}


@dataclass(frozen=True, slots=True)
class OutboundMedia:
    """One media of an outbound message; its type and size when Atende holds the file (an
    agent's attachment), None for a link Twilio will fetch itself."""

    mime_type: str | None = None
    size: int | None = None


class MediaLimitError(ValueError):
    """A message Twilio would refuse for its media; `code` is Twilio's code for it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_media(channel: str, media: Sequence[OutboundMedia]) -> None:
    """Refuse, before Twilio sees it, a message over the channel's media limits; sizes are
    checked where known (links are checked by Twilio when it fetches them)."""
    limit = MEDIA_LIMITS.get(channel)
    if limit is None or not media:
        return
    if len(media) > limit.max_count:
        raise MediaLimitError(
            TOO_MANY_MEDIA,
            f"{limit.name} takes at most {limit.max_count} media per message; "
            f"this one has {len(media)}",
        )
    for item in media:
        size = item.size or 0
        image = (item.mime_type or "").startswith("image/")
        if image and limit.max_image_bytes and size > limit.max_image_bytes:
            raise MediaLimitError(
                MEDIA_TOO_LARGE,
                f"{limit.name} takes images of at most {limit.max_image_bytes // MB} MB; "
                f"this one has {size / MB:.1f} MB",
            )
    total = sum(item.size or 0 for item in media)
    if total > limit.max_total_bytes:
        raise MediaLimitError(
            MEDIA_TOO_LARGE,
            f"{limit.name} takes at most {limit.max_total_bytes // MB} MB of media per "
            f"message; this one has {total / MB:.1f} MB",
        )


def media_of(content: Mapping[str, Any]) -> list[OutboundMedia]:
    """The media of a stored outbound message: several links (`links`), or one (`link`)
    with the type and size of the file when it is an agent's attachment."""
    links = content.get("links")
    if isinstance(links, list) and links:
        return [OutboundMedia() for _ in links]
    if not content.get("link"):
        return []
    size = content.get("size")
    mime = content.get("mime_type")
    return [
        OutboundMedia(str(mime) if mime else None, int(size) if isinstance(size, int) else None)
    ]


class TwilioMessagingConnector:
    name = PROVIDER

    def __init__(
        self,
        *,
        account_sid: str | None,
        auth_token: str | None,
        number: str | None = None,
        api_base: str = "https://api.twilio.com",
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.number = number
        self.api_base = api_base.rstrip("/")

    # --- webhooks -------------------------------------------------------------------------

    def verify(self, url: str, headers: Mapping[str, str], body: bytes) -> None:
        if not self.auth_token:
            raise SignatureError("Twilio auth token not configured")
        signature = next(
            (value for key, value in headers.items() if key.lower() == "x-twilio-signature"),
            None,
        )
        verify_twilio_signature(self.auth_token, url, _form(body), signature)

    def parse(self, body: bytes, content_type: str = "") -> Sequence[RawItem]:
        form = _form(body)
        sid = form.get("MessageSid") or form.get("SmsSid")
        if not sid:
            raise ValueError("MessageSid is missing")
        state = (form.get("MessageStatus") or form.get("SmsStatus") or "received").lower()
        if state in INBOUND_STATUSES and (form.get("From") or "") != "":
            return [RawItem(PROVIDER, f"twilio:message:{sid}", "message", sid, form)]
        return [RawItem(PROVIDER, f"twilio:status:{sid}:{state}", "status", sid, form)]

    @staticmethod
    def message(form: Mapping[str, Any]) -> InboundMessage:
        return _message(form)

    @staticmethod
    def status(form: Mapping[str, Any]) -> StatusUpdate:
        state = str(form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
        code = str(form.get("ErrorCode") or "") or None
        return StatusUpdate(
            provider=PROVIDER,
            provider_id=str(form.get("MessageSid") or form.get("SmsSid")),
            status=STATUS_NAMES.get(state, state),
            at=datetime.now(UTC),
            error_code=code,
            error_message=describe(code, str(form.get("ErrorMessage") or "")) if code else None,
        )

    # --- Messages API ---------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        """HTTP Basic with the account's SID and token, as a header (aiohttp 3.14 deprecates
        its own `auth` parameter and BasicAuth)."""
        pair = f"{self.account_sid or ''}:{self.auth_token or ''}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    async def send(
        self,
        http: aiohttp.ClientSession,
        form: Mapping[str, str | list[str]],
    ) -> str:
        """Create a Message; returns its SID (SM…/MM…) or raises ProviderError."""
        url = f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        try:
            async with http.post(
                url, data=_pairs(form), headers=self._auth(), allow_redirects=False
            ) as response:
                status, body = response.status, await response.read()
        except NETWORK_ERRORS as exc:
            raise ProviderError(
                "network", f"Sem resposta da Twilio ({exc.__class__.__name__}).", retryable=True
            ) from exc
        try:
            document = json.loads(body)
        except ValueError:  # not JSON, or not text
            document = {}
        if not isinstance(document, dict):
            document = {}
        if 200 <= status < 300 and isinstance(document.get("sid"), str):
            return str(document["sid"])
        code = str(document.get("code") or status)
        retryable = code in RETRYABLE_CODES or status in (429, 500, 502, 503)
        message = describe(code, str(document.get("message") or ""))
        raise ProviderError(code, message, retryable=retryable)

    async def fetch_media(self, http: aiohttp.ClientSession, url: str) -> FetchedMedia:
        """Twilio answers a media URL with a redirect to its storage; aiohttp follows it and
        leaves the credentials behind when the redirect goes to another origin."""
        try:
            async with http.get(url, headers=self._auth()) as response:
                status, content = response.status, await response.read()
                mime = response.headers.get("Content-Type", "application/octet-stream")
        except NETWORK_ERRORS as exc:
            raise ProviderError("network", str(exc), retryable=True) from exc
        if not 200 <= status < 300:
            retryable = status >= 500 or status == 429
            raise ProviderError(str(status), "download failed", retryable=retryable)
        return FetchedMedia(content, mime, hashlib.sha256(content).hexdigest())


def outbound_form(
    *,
    channel: str,
    to: str,
    sender: str,
    text: str | None,
    content: Mapping[str, Any],
    status_callback: str | None,
) -> dict[str, str | list[str]]:
    """The Messages API form for a stored outbound message (text, media links or template).
    A message over Twilio's media limits fails here, in words, without a request."""
    try:
        check_media(channel, media_of(content))
    except MediaLimitError as error:
        raise ProviderError(error.code, describe(error.code, str(error))) from error
    prefix = WHATSAPP_PREFIX if channel == "whatsapp" else ""
    form: dict[str, str | list[str]] = {"To": f"{prefix}{to}", "From": f"{prefix}{sender}"}
    if content.get("content_sid"):
        form["ContentSid"] = str(content["content_sid"])
        variables = content.get("content_variables") or {}
        if variables:
            form["ContentVariables"] = json.dumps(variables, ensure_ascii=False)
    elif text:
        form["Body"] = text
    links = content.get("links")
    if isinstance(links, list) and links:
        form["MediaUrl"] = [str(link) for link in links]
    elif content.get("link"):
        form["MediaUrl"] = str(content["link"])
    if status_callback:
        form["StatusCallback"] = status_callback
    return form


def _pairs(form: Mapping[str, str | list[str]]) -> list[tuple[str, str]]:
    """The form as (name, value) pairs, a list's values each under its name (MediaUrl)."""
    return [
        (name, value)
        for name, values in form.items()
        for value in (values if isinstance(values, list) else [values])
    ]


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _message(form: Mapping[str, Any]) -> InboundMessage:
    sender = str(form.get("From") or "")
    channel = "whatsapp" if sender.lower().startswith(WHATSAPP_PREFIX) else "sms"
    kind, content, text, bot_reply = _kind(form)
    media_count = int(form.get("NumMedia") or 0)
    media = None
    if media_count > 0:
        media = MediaRef(
            url=str(form.get("MediaUrl0")),
            mime_type=str(form.get("MediaContentType0") or "application/octet-stream"),
        )
        content = {
            **content,
            "media": [
                {"url": form.get(f"MediaUrl{i}"), "content_type": form.get(f"MediaContentType{i}")}
                for i in range(media_count)
            ],
        }
    business = to_e164(str(form.get("To") or "")) or str(form.get("To") or "")
    return InboundMessage(
        provider=PROVIDER,
        channel=channel,
        provider_id=str(form.get("MessageSid") or form.get("SmsSid")),
        business_address=business,
        sent_at=datetime.now(UTC),
        type=kind,
        text=text,
        content=content,
        media=media,
        phone=to_e164(sender),
        profile_name=str(form.get("ProfileName") or ""),
        reply_to=form.get("OriginalRepliedMessageSid") or None,
        bot_reply=bot_reply,
    )


def _kind(form: Mapping[str, Any]) -> tuple[str, dict[str, Any], str | None, str | None]:
    """(type, content, text, what a bot reads) from Twilio's flat form."""
    body = form.get("Body") or None
    if form.get("ButtonPayload") or form.get("ButtonText"):
        payload = form.get("ButtonPayload") or form.get("ButtonText")
        content = {"payload": form.get("ButtonPayload"), "text": form.get("ButtonText")}
        return "button", content, form.get("ButtonText") or body, payload
    if form.get("Latitude") and form.get("Longitude"):
        content = {
            key.lower(): form.get(key)
            for key in ("Latitude", "Longitude", "Address", "Label")
            if form.get(key)
        }
        return "location", content, form.get("Address") or body, None
    media_count = int(form.get("NumMedia") or 0)
    if media_count > 0:
        mime = str(form.get("MediaContentType0") or "")
        major = mime.split("/", 1)[0]
        kind = major if major in ("image", "audio", "video") else "document"
        return kind, {}, body, None
    return "text", {}, body or "", body or ""
