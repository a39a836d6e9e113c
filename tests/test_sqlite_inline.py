"""SQLite on the event loop: a writer waiting for another's lock must not stall the loop, and the
WAL must be copied back by the checkpointer, not by a request's commit."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from atende.db import sqlite_inline
from atende.db.engine import create_engine


async def test_a_writer_waits_for_the_lock_without_stalling_the_loop(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (body TEXT)"))
    first_wrote = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes VALUES ('first')"))
            first_wrote.set()
            await release_first.wait()

    async def second() -> None:
        await first_wrote.wait()
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes VALUES ('second')"))

    tasks = [asyncio.create_task(job()) for job in (first, second)]
    await first_wrote.wait()
    # The second writer now waits for the lock. Had it blocked the loop, the first could never
    # commit and the second would fail with "database is locked" once the busy timeout ran out.
    await asyncio.sleep(0.1)
    release_first.set()
    await asyncio.gather(*tasks)
    async with engine.connect() as connection:
        bodies = (await connection.execute(text("SELECT body FROM notes ORDER BY rowid"))).all()
    await engine.dispose()
    assert [body for (body,) in bodies] == ["first", "second"]


async def test_a_writer_gives_up_after_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "b.db"
    engine = create_engine(f"sqlite:///{database}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (body TEXT)"))
    monkeypatch.setattr(sqlite_inline, "BUSY_TIMEOUT", 0.05)
    holder = sqlite3.connect(database)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Exception, match="database is locked"):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO notes VALUES ('late')"))
    finally:
        holder.rollback()
        holder.close()
        await engine.dispose()


async def test_the_checkpointer_copies_every_wal_frame_back(tmp_path: Path) -> None:
    database = tmp_path / "c.db"
    engine = create_engine(f"sqlite:///{database}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (body TEXT)"))
    for index in range(50):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes VALUES (:b)"), {"b": str(index)})
    await asyncio.to_thread(sqlite_inline.Checkpointer(str(database))._checkpoint)
    probe = sqlite3.connect(database)
    try:
        _busy, frames, copied = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        probe.close()
        await engine.dispose()
    assert frames > 0
    assert copied == frames
