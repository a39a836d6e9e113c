"""Which channels an account's webhooks may belong to, kept in memory for a few seconds.

Every webhook needs its account's channels (to check the signature with their token); reading
them once per request would be one more query on the hottest path. Changes made on this node
are seen at once (the admin API forgets the cache); other nodes see them within `TTL_SECONDS`."""

from __future__ import annotations

import time
from collections.abc import Sequence

from atende.runtime import Runtime
from atende.voice.models import VoiceChannel
from atende.voice.repository import VoiceRepository

SERVICE_KEY = "voice.directory"
TTL_SECONDS = 5.0


class ChannelDirectory:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._entries: dict[str, tuple[float, Sequence[VoiceChannel]]] = {}

    async def for_account(self, account_sid: str) -> Sequence[VoiceChannel]:
        now = time.monotonic()
        entry = self._entries.get(account_sid)
        if entry is not None and now - entry[0] < TTL_SECONDS:
            return entry[1]
        async with self.runtime.sessions() as session:
            channels = await VoiceRepository(session).channels_for_account(account_sid)
        self._entries[account_sid] = (now, channels)
        return channels

    def forget(self) -> None:
        self._entries.clear()


def directory(runtime: Runtime) -> ChannelDirectory:
    found = runtime.services.get(SERVICE_KEY)
    if not isinstance(found, ChannelDirectory):
        found = runtime.services[SERVICE_KEY] = ChannelDirectory(runtime)
    return found
