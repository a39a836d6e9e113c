"""SQLite for the async engine without a thread hop per call.

aiosqlite runs every call on its own thread: a statement costs four round trips between that
thread and the event loop (cursor, execute, fetch, close), each a wake-up and a GIL hand-over,
and under load those hand-overs cost more than the statement itself. Our statements take
microseconds (WAL, `synchronous=NORMAL`: a commit does not wait for the disk), so this
connection runs them on the event loop's thread, through the same SQLAlchemy dialect.

The one thing that may not block the loop is waiting for another connection's write lock: the
holder is usually a coroutine of this same loop. So the busy timeout is zero and a statement
refused with SQLITE_BUSY is retried after an asynchronous pause, for as long as the busy timeout
would have waited. A stale read snapshot (SQLITE_BUSY_SNAPSHOT) cannot succeed by waiting and
fails at once, as it does with SQLite's own busy handler."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

BUSY_TIMEOUT = 10.0
_BUSY = sqlite3.SQLITE_BUSY
_FIRST_PAUSE = 0.0005
_LONGEST_PAUSE = 0.02
T = TypeVar("T")


async def _patiently(call: Callable[[], T]) -> T:
    """Run `call`; while the database is locked by another connection, wait without blocking."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = _FIRST_PAUSE
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != _BUSY or time.monotonic() > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, _LONGEST_PAUSE)


class InlineCursor:
    """The part of aiosqlite's cursor SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await _patiently(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        rows = list(parameters)
        await _patiently(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size or self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _InlineQueue:
    """SQLAlchemy sets the isolation level by queueing a call on aiosqlite's thread."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)


class InlineConnection:
    """The part of aiosqlite's connection SQLAlchemy's aiosqlite dialect uses."""

    _tx = _InlineQueue()

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await (await self.cursor()).execute(sql, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        await _patiently(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        self._conn.close()


def connector(database: str) -> Callable[[], Any]:
    """The engine's `async_creator`: a connection that never waits on a lock synchronously."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(database, timeout=0, check_same_thread=False)
        return InlineConnection(connection)

    return connect


CHECKPOINT_EVERY = 1.0
FOREGROUND_CHECKPOINT_PAGES = 50_000
"""The connections' own automatic checkpoint: a backstop (about 200 MB of WAL) for processes
that run no background jobs; the checkpointer below normally keeps the WAL far smaller."""


class Checkpointer:
    """Copies the WAL back into the database on a thread of its own, every second.

    SQLite checkpoints by default inside whichever commit crosses a thousand WAL pages, and a
    checkpoint waits for the disk (fsync): on the event loop that stalls every request for
    tens of milliseconds, dozens of times a minute. A passive checkpoint never blocks writers
    or readers."""

    def __init__(self, database: str) -> None:
        self.database = database

    def _checkpoint(self) -> None:
        """Its own connection each time, opened and closed on the worker thread: a cancelled
        job must never close a connection a checkpoint is still using."""
        connection = sqlite3.connect(self.database)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY)
            await asyncio.to_thread(self._checkpoint)
