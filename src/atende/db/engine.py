"""Async engines for SQLite (WAL, the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import select
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.orm import Session

from atende.db import sqlite_inline


def async_url(url: str) -> str:
    """Accept the plain URLs people write (`postgresql://`, `sqlite:///`) and pick async drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    elif backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    else:
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def sqlite_database(engine: AsyncEngine) -> str | None:
    """The file of an SQLite engine (None for PostgreSQL or an in-memory database)."""
    database = engine.url.database
    if not is_sqlite(engine) or not database or database == ":memory:":
        return None
    return database


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # No waiting inside SQLite: the inline connection waits for locks without blocking the loop.
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.execute(f"PRAGMA wal_autocheckpoint={sqlite_inline.FOREGROUND_CHECKPOINT_PAGES}")
    cursor.close()


def _drop_dead_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection is checked for life without a round trip: pool_pre_ping
    asks the server on every checkout, a round trip per transaction. An idle connection has
    nothing to read (Atende never LISTENs on pooled connections), so a readable socket means
    the server closed it or said why it is about to (restart, terminated backend), and the pool
    takes another one instead."""
    driver = dbapi_connection.driver_connection
    if driver.closed or driver.broken:
        raise DisconnectionError("the connection is closed")
    readable, _, _ = select.select([driver.fileno()], [], [], 0)
    if readable:
        raise DisconnectionError("the server closed the idle connection")


def create_engine(url: str) -> AsyncEngine:
    target = async_url(url)
    if target.startswith("sqlite"):
        database = make_url(target).database or ":memory:"
        engine = create_async_engine(target, async_creator=sqlite_inline.connector(database))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(target, pool_size=10, max_overflow=20)
    event.listen(engine.sync_engine, "checkout", _drop_dead_connection)
    return engine


async def driver_connection(session: AsyncSession) -> Any:
    """The psycopg connection under a PostgreSQL session, for what SQLAlchemy cannot do with
    it (a pipeline); its transaction is begun as far as SQLAlchemy knows."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None, "a checked-out connection has its driver's"
    return driver


def session_factory(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """`info` reaches every session, e.g. the runtime, so after-commit hooks find the bus.

    Each factory has a session class of its own: listeners registered on it once (instead of on
    each session, which costs more than a small statement) reach only this factory's sessions."""
    node_session = type("NodeSession", (Session,), {"__doc__": "A session of one factory."})
    return async_sessionmaker(
        engine, expire_on_commit=False, info=info or {}, sync_session_class=node_session
    )


def session_class(factory: async_sessionmaker[AsyncSession]) -> type[Session]:
    """The class of the factory's sessions, to listen to their events."""
    cls: type[Session] = factory.kw["sync_session_class"]
    return cls
