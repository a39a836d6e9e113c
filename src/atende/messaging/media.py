"""Media kept by Atende: inbound media fetched from the provider, so pictures and voice notes
stay readable after the provider's links expire (Meta's last minutes; its media ids, 30 days);
and files agents attach, checked against WhatsApp's types and sizes before they are kept and
offered to the provider at a link only it is given."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import mimetypes
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from atende.conversations.items import FetchedMedia, ProviderError
from atende.conversations.models import MediaFile
from atende.conversations.repository import ConversationRepository
from atende.db.base import utcnow
from atende.errors import Problem
from atende.messaging.outbound import backoff
from atende.sids import new_sid

if TYPE_CHECKING:
    from atende.messaging.hub import MessagingHub

log = logging.getLogger(__name__)

BATCH = 20
IDLE_WAIT = 5.0
MAX_ATTEMPTS = 6
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class AttachmentRule:
    """What WhatsApp accepts for one media type: the message kind, the largest file, and the
    first bytes such a file starts with (at an offset), so a renamed file is refused."""

    kind: str
    max_bytes: int
    signatures: tuple[tuple[int, bytes], ...]


_MP4 = ((4, b"ftyp"),)
# WhatsApp Cloud API's supported media (images 5 MB; audio and video 16 MB; documents 100 MB).
ATTACHMENTS: dict[str, AttachmentRule] = {
    "image/jpeg": AttachmentRule("image", 5 * MB, ((0, b"\xff\xd8\xff"),)),
    "image/png": AttachmentRule("image", 5 * MB, ((0, b"\x89PNG\r\n\x1a\n"),)),
    "application/pdf": AttachmentRule("document", 100 * MB, ((0, b"%PDF-"),)),
    "audio/mpeg": AttachmentRule(
        "audio", 16 * MB, ((0, b"ID3"), (0, b"\xff\xfb"), (0, b"\xff\xf3"), (0, b"\xff\xf2"))
    ),
    "audio/ogg": AttachmentRule("audio", 16 * MB, ((0, b"OggS"),)),
    "audio/aac": AttachmentRule("audio", 16 * MB, ((0, b"\xff\xf1"), (0, b"\xff\xf9"))),
    "audio/amr": AttachmentRule("audio", 16 * MB, ((0, b"#!AMR"),)),
    "audio/mp4": AttachmentRule("audio", 16 * MB, _MP4),
    "video/mp4": AttachmentRule("video", 16 * MB, _MP4),
    "video/3gpp": AttachmentRule("video", 16 * MB, _MP4),
}
# Names browsers give the same types.
ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/x-aac": "audio/aac",
    "audio/opus": "audio/ogg",
}
ACCEPTED = ", ".join(sorted(ATTACHMENTS))


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file an agent attached, checked; `share` is the secret part of its public link."""

    kind: str
    mime_type: str
    filename: str
    content: bytes
    share: str


def media_type_of(declared: str | None, filename: str) -> str:
    """The browser's type, or the name's when the browser did not know (octet-stream)."""
    mime = (declared or "").split(";")[0].strip().lower()
    if not mime or mime == "application/octet-stream":
        mime = (mimetypes.guess_type(filename)[0] or "").lower()
    return ALIASES.get(mime, mime)


def rule_for(declared: str | None, filename: str) -> tuple[str, AttachmentRule]:
    mime = media_type_of(declared, filename)
    rule = ATTACHMENTS.get(mime)
    if rule is None:
        raise Problem(
            415,
            "Unsupported attachment",
            f"file: {filename!r} is {mime or 'of an unknown type'}; WhatsApp accepts {ACCEPTED}",
        )
    return mime, rule


def check_attachment(mime: str, rule: AttachmentRule, filename: str, content: bytes) -> Attachment:
    if not content:
        raise Problem(422, "Empty attachment", f"file: {filename!r} is empty")
    if len(content) > rule.max_bytes:
        raise Problem(
            413,
            "Attachment too large",
            f"file: {filename!r} has {len(content) / MB:.1f} MB; WhatsApp takes at most "
            f"{rule.max_bytes // MB} MB for {mime}",
        )
    if not any(content[at : at + len(magic)] == magic for at, magic in rule.signatures):
        raise Problem(
            415,
            "Unsupported attachment",
            f"file: {filename!r} is named as {mime} but its content is not",
        )
    return Attachment(rule.kind, mime, filename, content, secrets.token_urlsafe(24))


def keep_attachment(provider: str, attachment: Attachment) -> MediaFile:
    """Stored like fetched media, so the history and transcripts show it the same way."""
    return MediaFile(
        sid=new_sid("ME"),
        provider=provider,
        mime_type=attachment.mime_type,
        filename=attachment.filename,
        content=attachment.content,
        size=len(attachment.content),
        sha256=hashlib.sha256(attachment.content).hexdigest(),
        status="stored",
        next_attempt_at=None,
    )


def shared_link(public_url: str, media_sid: str, share: str) -> str:
    """Where the provider downloads an agent's attachment: no session, only the secret."""
    return f"{public_url.rstrip('/')}/api/media/{media_sid}/shared/{share}"


def may_share(content: dict[str, object], share: str) -> bool:
    stored = content.get("share")
    return isinstance(stored, str) and hmac.compare_digest(stored, share)


@dataclass(frozen=True, slots=True)
class Wanted:
    sid: str
    provider: str
    media_id: str | None
    url: str | None
    business_address: str | None


class MediaFetcher:
    def __init__(self, hub: MessagingHub, retry_base: float = 2.0) -> None:
        self.hub = hub
        self.retry_base = retry_base
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            fetched = await self.fetch_due()
            if fetched == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_WAIT)

    async def fetch_due(self) -> int:
        async with self.hub.runtime.sessions() as session:
            repository = ConversationRepository(session)
            due = await repository.media_due(utcnow(), BATCH)
            addresses = (
                await repository.media_business_addresses([m.sid for m in due]) if due else {}
            )
            wanted = [
                Wanted(m.sid, m.provider, m.provider_media_id, m.source_url, addresses.get(m.sid))
                for m in due
            ]
            await session.commit()
        if not wanted:
            return 0
        results = await asyncio.gather(*(self._fetch(item) for item in wanted))
        async with self.hub.writing() as session:
            sids = [item.sid for item in wanted]
            rows = {
                row.sid: row
                for row in await session.scalars(select(MediaFile).where(MediaFile.sid.in_(sids)))
            }
            for item, result in zip(wanted, results, strict=True):
                _apply(rows[item.sid], result, self.retry_base)
            await session.commit()
        return len(wanted)

    async def _fetch(self, item: Wanted) -> FetchedMedia | ProviderError:
        try:
            return await self.hub.fetch_media(
                item.provider, item.media_id, item.url, item.business_address
            )
        except ProviderError as error:
            return error
        except Exception as exc:
            log.exception("fetching media %s failed", item.sid)
            return ProviderError("internal", str(exc), retryable=True)


def _apply(row: MediaFile, result: FetchedMedia | ProviderError, retry_base: float) -> None:
    row.attempts += 1
    if isinstance(result, FetchedMedia):
        row.content = result.content
        row.size = len(result.content)
        row.sha256 = result.sha256
        if result.mime_type and row.mime_type == "application/octet-stream":
            row.mime_type = result.mime_type
        row.status = "stored"
        row.last_error = None
        return
    row.last_error = f"{result.code}: {result.message}"
    if result.retryable and row.attempts < MAX_ATTEMPTS:
        row.next_attempt_at = utcnow() + backoff(row.attempts, retry_base)
    else:
        row.status = "failed"
