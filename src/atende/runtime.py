"""What one running node holds: settings, the database, and its background jobs.

Domain packages attach their long-lived parts here instead of to module globals, so several
apps (tests, two nodes in one process) never share state by accident."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from atende.config import Settings
from atende.db import sqlite_inline
from atende.db.engine import create_engine, session_factory, sqlite_database

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
STOP_RETRY = 0.1


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: AsyncEngine = create_engine(settings.database_url)
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(
            self.engine, info={"runtime": self}
        )
        self.services: dict[str, Any] = {}
        self._starters: list[Callable[[], Awaitable[None]]] = []
        self._stoppers: list[Callable[[], Awaitable[None]]] = []
        self._jobs: list[tuple[str, Job]] = []
        self._tasks: list[asyncio.Task[None]] = []
        database = sqlite_database(self.engine)
        if database is not None:
            self.add_job("sqlite.checkpoint", sqlite_inline.Checkpointer(database).run)

    def on_start(self, hook: Callable[[], Awaitable[None]]) -> None:
        self._starters.append(hook)

    def on_stop(self, hook: Callable[[], Awaitable[None]]) -> None:
        self._stoppers.append(hook)

    def add_job(self, name: str, job: Job) -> None:
        """A loop that runs for the node's lifetime; restarted with a pause if it crashes."""
        self._jobs.append((name, job))

    async def start(self) -> None:
        for hook in self._starters:
            await hook()
        if self.settings.run_background:
            for name, job in self._jobs:
                self._tasks.append(asyncio.create_task(self._supervise(name, job), name=name))

    async def _supervise(self, name: str, job: Job) -> None:
        while True:
            try:
                await job()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background job %s crashed; restarting in 1 s", name)
                await asyncio.sleep(1)

    async def stop(self) -> None:
        # On Python 3.11, asyncio.wait_for can swallow a cancellation that arrives just as the
        # future it waits for completes; the job then runs on. So cancel until every job ended.
        pending = set(self._tasks)
        while pending:
            for task in pending:
                task.cancel()
            _ended, pending = await asyncio.wait(pending, timeout=STOP_RETRY)
        self._tasks.clear()
        for hook in reversed(self._stoppers):
            await hook()
        await self.engine.dispose()
