"""Fetching inbound media from the provider and keeping it, so pictures and voice notes stay
readable after the provider's links expire (Meta's last minutes; its media ids, 30 days)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from atende.conversations.items import FetchedMedia, ProviderError
from atende.conversations.models import MediaFile
from atende.conversations.repository import ConversationRepository
from atende.db.base import utcnow
from atende.messaging.outbound import backoff

if TYPE_CHECKING:
    from atende.messaging.hub import MessagingHub

log = logging.getLogger(__name__)

BATCH = 20
IDLE_WAIT = 5.0
MAX_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class Wanted:
    sid: str
    provider: str
    media_id: str | None
    url: str | None


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
            due = await ConversationRepository(session).media_due(utcnow(), BATCH)
            wanted = [Wanted(m.sid, m.provider, m.provider_media_id, m.source_url) for m in due]
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
            return await self.hub.fetch_media(item.provider, item.media_id, item.url)
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
