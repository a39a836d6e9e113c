"""Several nodes on one PostgreSQL database: who may change a workspace, and who runs timers.

Each node keeps engines in memory. On PostgreSQL every routing command first takes the
workspace's transaction-scoped advisory lock, so commands from all nodes are serialised, then
compares the workspace's routing version with the one its engine was built from: if another node
changed the workspace since, the engine is rebuilt from the database before the command runs.
Every command bumps the version in the same transaction.

Timers fire on one node only: the holder of a session-level advisory lock (the lease). When that
node dies its connection closes, PostgreSQL releases the lock, and another node takes the lease
and reloads every workspace, so deadlines that fell due meanwhile fire at once. SQLite is a
single-node database, so there the node always holds the lease and no version is kept."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import String, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base
from atende.db.engine import driver_connection

log = logging.getLogger(__name__)

# Arbitrary constant shared by every node: "the timers of all workspaces".
TIMERS_LEASE_KEY = 0x41_74_65_6E_64_65_54_4D  # "AtendeTM"


class RoutingVersion(Base):
    __tablename__ = "taskrouter_routing_versions"

    workspace_sid: Mapped[str] = mapped_column(String(34), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


def is_shared(session: AsyncSession) -> bool:
    """Only PostgreSQL is shared by several nodes."""
    return session.get_bind().dialect.name == "postgresql"


# Sent to psycopg directly: SQLAlchemy's execution of a statement costs about as much again as
# psycopg's own, and every routing command runs both of these.
_LOCK = "SELECT atende_lock_workspace(%s, %s)"
_BUMP = (
    "INSERT INTO taskrouter_routing_versions (workspace_sid, version) VALUES (%s, 1) "
    "ON CONFLICT (workspace_sid) DO UPDATE SET version = taskrouter_routing_versions.version + 1"
)


def _lock_key(workspace_sid: str) -> int:
    return int.from_bytes(hashlib.sha256(workspace_sid.encode()).digest()[:8], "big", signed=True)


async def lock_workspace(session: AsyncSession, workspace_sid: str) -> int:
    """Held until the transaction ends: other nodes' commands on this workspace wait. Returns
    the workspace's routing version as committed when the lock was granted (one round trip,
    through the function of migration 0014)."""
    cursor = (await driver_connection(session)).cursor()
    await cursor.execute(_LOCK, (_lock_key(workspace_sid), workspace_sid))
    row = await cursor.fetchone()
    return int(row[0] or 0) if row else 0


async def current_version(session: AsyncSession, workspace_sid: str) -> int:
    result = await session.execute(
        select(RoutingVersion.version).where(RoutingVersion.workspace_sid == workspace_sid)
    )
    return result.scalar_one_or_none() or 0


async def versions(session: AsyncSession, workspace_sids: list[str]) -> dict[str, int]:
    result = await session.execute(
        select(RoutingVersion.workspace_sid, RoutingVersion.version).where(
            RoutingVersion.workspace_sid.in_(workspace_sids)
        )
    )
    found = {sid: version for sid, version in result.tuples()}
    return {sid: found.get(sid, 0) for sid in workspace_sids}


async def bump_version(session: AsyncSession, workspace_sid: str) -> None:
    """The caller holds the workspace's lock, so the new version is the one it read plus one:
    no answer is needed, and the statement can go in a pipeline."""
    await (await driver_connection(session)).cursor().execute(_BUMP, (workspace_sid,))


@contextlib.asynccontextmanager
async def pipelined(session: AsyncSession) -> AsyncIterator[None]:
    """On PostgreSQL, the statements inside are sent without waiting for each answer, and the
    end of the block waits once for all of them (a command's upserts and inserts: one round
    trip instead of six, inside the workspace's lock). Only for statements whose results
    nobody reads: psycopg has them after the sync, but SQLAlchemy looks at once (RETURNING
    rows, rowcount). An error surfaces at the end of the block and fails the transaction.
    The session's pending ORM changes are flushed first, outside: their UPDATEs check rowcount."""
    if not is_shared(session):
        yield
        return
    await session.flush()
    async with (await driver_connection(session)).pipeline():
        yield


class TimersLease:
    """The right to fire timers, held on a connection of its own for as long as it lives."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None

    @property
    def shared(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def held(self) -> bool:
        """True if this node holds the lease, trying to take it if nobody does."""
        if not self.shared:
            return True
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                return True
            except Exception:
                log.warning("lost the connection holding the timers lease")
                await self.release()
        connection = await self.engine.connect()
        try:
            # Autocommit: the lease connection must never sit idle inside a transaction.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": TIMERS_LEASE_KEY}
            )
        except Exception:
            await connection.close()
            raise
        if not taken:
            await connection.close()
            return False
        self._connection = connection
        log.info("this node now fires the routing timers")
        return True

    async def release(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await connection.close()
            except Exception:
                log.debug("closing the lease connection failed", exc_info=True)
