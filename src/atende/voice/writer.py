"""One voice writer at a time on SQLite, queued fairly in the event loop.

SQLite lets one transaction write at a time and makes the others poll for the lock, which is
unfair: under load some would wait past the busy timeout and fail. Voice's writers (webhooks,
the outbox replies, the routing follower) queue on this lock first, in arrival order, and each
starts its transaction with a write so that what it reads is current. PostgreSQL needs none of
this (row locks do the job), so there the lock is a no-op."""

from __future__ import annotations

import asyncio
import contextlib

from atende.runtime import Runtime

WRITER_KEY = "voice.sqlite_writer"


def install(runtime: Runtime) -> None:
    if runtime.settings.database_url.startswith("sqlite"):
        runtime.services[WRITER_KEY] = asyncio.Lock()


def writing(runtime: Runtime) -> contextlib.AbstractAsyncContextManager[object]:
    lock = runtime.services.get(WRITER_KEY)
    return lock if lock is not None else contextlib.nullcontext()
