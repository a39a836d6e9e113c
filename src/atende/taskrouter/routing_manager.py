"""One routing engine per workspace in memory, kept equal to the database.

Every command on a workspace runs under that workspace's lock, which is held until the
transaction ends: engine call, the changed rows, the events, then the commit at the request (or
job) boundary. If the transaction rolls back after the engine changed, the workspace is dropped
from memory and reloaded from the database on next use, so memory never holds what the database
does not.

Timers live in the engines; one background job sleeps until the earliest deadline of any
workspace (woken early when a commit may have set an earlier one) and advances the engines that
are due, each in its own transaction. Deadlines are persisted instants, so after a restart the
reloaded engines fire them at the moment they were meant to."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from atende import heap
from atende.db.engine import session_class
from atende.events.record import WebhookTarget, insert_events, publish_events
from atende.routing.engine import RoutingEngine
from atende.routing.events import RoutingEvent
from atende.runtime import Runtime
from atende.sids import new_sid
from atende.taskrouter import models, nodes
from atende.taskrouter.errors import not_found
from atende.taskrouter.event_records import SYSTEM, Actor, records_for
from atende.taskrouter.persistence import (
    StoredRows,
    load_snapshot,
    save_changes,
    save_checked,
    settings_of,
    to_datetime,
)
from atende.taskrouter.statistics.cumulative import record_cumulative
from atende.taskrouter.statistics.realtime import RealtimeCounters

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Action = Callable[[RoutingEngine], list[RoutingEvent]]
CommandHook = Callable[[AsyncSession, "WorkspaceRouting", list[RoutingEvent]], None]

_HELD = "atende.taskrouter.held"
_DIRTY = "atende.taskrouter.dirty"
_COMMITTED = "atende.taskrouter.committed"
_DELETED = "atende.taskrouter.deleted"
_POISONED = "atende.taskrouter.savepoint-rolled-back"
_DEFERRED = "atende.taskrouter.deferred"
MAX_SLEEP = 30.0
# Several nodes: how often the lease holder catches up, and others try to take the lease.
SHARED_POLL = 1.0
LEASE_RETRY = 2.0
_CLAIM_SQLITE_WRITER = text("UPDATE taskrouter_workspaces SET sid = sid WHERE 1 = 0")


def webhook_target(row: models.Workspace) -> WebhookTarget | None:
    if not row.event_callback_url:
        return None
    events = None
    if row.events_filter:
        events = frozenset(part.strip() for part in row.events_filter.split(",") if part.strip())
    return WebhookTarget(
        url=row.event_callback_url,
        account_sid=row.account_sid,
        workspace_name=row.friendly_name,
        events_filter=events,
    )


@dataclass
class WorkspaceRouting:
    """What one workspace holds in memory: its engine and the counters derived from it."""

    sid: str
    account_sid: str
    friendly_name: str
    engine: RoutingEngine
    realtime: RealtimeCounters
    webhook: WebhookTarget | None = None
    version: int = 0
    """The workspace's routing version this engine was built from (several nodes only)."""
    assignment_callbacks: dict[str, str] = field(default_factory=dict)
    """Workflow SID -> AssignmentCallbackUrl, for workflows that have one."""
    stored: StoredRows = field(default_factory=StoredRows)
    """What the database holds, so commands write only what changed."""

    def describe(self, row: models.Workspace) -> None:
        self.account_sid = row.account_sid
        self.friendly_name = row.friendly_name
        self.webhook = webhook_target(row)


@dataclass
class _Unwritten:
    """Commands a workspace's engine has run in this transaction whose rows and events are not
    written yet (`RoutingManager.defer_writes`): each command's events with who caused them, and
    the attribute texts they set."""

    commands: list[tuple[list[RoutingEvent], Actor]] = field(default_factory=list)
    attribute_texts: dict[str, str] = field(default_factory=dict)

    def add(
        self, events: list[RoutingEvent], actor: Actor, attribute_texts: Mapping[str, str] | None
    ) -> None:
        self.commands.append((events, actor))
        self.attribute_texts.update(attribute_texts or {})


class RoutingManager:
    def __init__(self, runtime: Runtime, clock: Clock = time.time) -> None:
        self.runtime = runtime
        self.clock = clock
        self._workspaces: dict[str, WorkspaceRouting] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._wake = asyncio.Event()
        self._dropped: set[str] = set()
        node_sessions = session_class(runtime.sessions)
        sa_event.listen(node_sessions, "after_commit", self._committed)
        sa_event.listen(node_sessions, "after_soft_rollback", self._rolled_back)
        sa_event.listen(node_sessions, "after_transaction_end", self._transaction_ended)
        sa_event.listen(node_sessions, "before_commit", _refuse_unwritten)
        self.after_command: list[CommandHook] = []
        """Called with each command's events inside its transaction (e.g. to queue the
        workflow's assignment callback)."""

    # ---------------------------------------------------------------- commands

    async def workspace(self, session: AsyncSession, workspace_sid: str) -> WorkspaceRouting:
        """The workspace's routing state, locked for this session's transaction."""
        await self._acquire(session, workspace_sid)
        state = self._workspaces.get(workspace_sid)
        if state is None:
            state = await self._load(session, workspace_sid)
        return state

    async def execute(
        self,
        session: AsyncSession,
        workspace_sid: str,
        action: Action,
        *,
        actor: Actor = SYSTEM,
        attribute_texts: Mapping[str, str] | None = None,
        deferrable: bool = False,
    ) -> list[RoutingEvent]:
        """Run one engine command and write what it changed, within the caller's transaction
        (later, if `deferrable` and the session defers writes: see `defer_writes`).

        A refused command (RoutingError) changes nothing and propagates unchanged."""
        [events] = await self.execute_each(
            session,
            workspace_sid,
            [action],
            refusals=(),
            actor=actor,
            attribute_texts=attribute_texts,
            deferrable=deferrable,
        )
        assert isinstance(events, list), "with no refusals to catch, a refusal propagates"
        return events

    async def execute_each(
        self,
        session: AsyncSession,
        workspace_sid: str,
        actions: Sequence[Action],
        *,
        refusals: tuple[type[Exception], ...],
        actor: Actor = SYSTEM,
        attribute_texts: Mapping[str, str] | None = None,
        deferrable: bool = False,
    ) -> list[list[RoutingEvent] | Exception]:
        """Several commands in one write: each action's events, or the refusal it raised (one
        of `refusals`, which must leave the engine unchanged). Anything else propagates."""
        state = await self.workspace(session, workspace_sid)
        deferred: dict[str, _Unwritten] | None = session.info.get(_DEFERRED)
        if deferred is not None and not deferrable:
            # Written before this command changes the engine they are described from.
            await self._write_unwritten(session, state, deferred)
        outcomes: list[list[RoutingEvent] | Exception] = []
        for action in actions:
            try:
                outcomes.append(action(state.engine))
            except refusals as refusal:
                outcomes.append(refusal)
        session.info.setdefault(_DIRTY, set()).add(workspace_sid)
        events = [event for outcome in outcomes if isinstance(outcome, list) for event in outcome]
        if deferred is not None and deferrable:
            deferred.setdefault(workspace_sid, _Unwritten()).add(events, actor, attribute_texts)
        else:
            await self._write(session, state, [(events, actor)], attribute_texts)
        return outcomes

    def defer_writes(self, session: AsyncSession) -> None:
        """From now on, this session's deferrable commands (task creations for a batch of voice
        webhooks) are run at once but written later, all of a workspace's together: by
        `write_deferred`, which must come before the commit, or before the workspace's next
        command that is not deferrable. One multi-row statement per table for the batch
        instead of some six statements per command."""
        session.info.setdefault(_DEFERRED, {})

    async def write_deferred(self, session: AsyncSession) -> None:
        """Write the commands this session deferred, and go on deferring."""
        deferred: dict[str, _Unwritten] | None = session.info.get(_DEFERRED)
        for workspace_sid in list(deferred or ()):
            assert deferred is not None
            state = await self.workspace(session, workspace_sid)
            await self._write_unwritten(session, state, deferred)

    async def _write_unwritten(
        self, session: AsyncSession, state: WorkspaceRouting, deferred: dict[str, _Unwritten]
    ) -> None:
        unwritten = deferred.pop(state.sid, None)
        if unwritten is not None:
            await self._write(session, state, unwritten.commands, unwritten.attribute_texts)

    async def _write(
        self,
        session: AsyncSession,
        state: WorkspaceRouting,
        commands: Sequence[tuple[list[RoutingEvent], Actor]],
        attribute_texts: Mapping[str, str] | None = None,
    ) -> None:
        engine = state.engine
        changes = engine.drain_changes()
        state.realtime.observe(engine, changes)
        events = [event for command_events, _actor in commands for event in command_events]
        records = [
            record
            for command_events, actor in commands
            for record in records_for(state.sid, command_events, engine, actor)
        ]
        async with nodes.pipelined(session):
            if nodes.is_shared(session) and (events or any(changes)):
                await nodes.bump_version(session, state.sid)
                state.version += 1
            checked = await save_changes(
                session,
                state.sid,
                engine,
                changes,
                state.stored,
                to_datetime(self.clock()),
                attribute_texts,
            )
            await record_cumulative(session, state.sid, engine, events)
            inserted = await insert_events(session, records)
        await save_checked(session, checked)
        await publish_events(session, inserted, state.webhook)
        for hook in self.after_command:
            hook(session, state, events)

    def forget(self, session: AsyncSession, workspace_sid: str) -> None:
        """Drop a deleted workspace from memory once this transaction commits."""
        session.info.setdefault(_DIRTY, set()).add(workspace_sid)
        session.info.setdefault(_DELETED, set()).add(workspace_sid)

    def loaded(self, workspace_sid: str) -> WorkspaceRouting | None:
        """The in-memory state, if loaded; for reads that need no lock (statistics)."""
        return self._workspaces.get(workspace_sid)

    # ----------------------------------------------------------------- loading

    async def _load(self, session: AsyncSession, workspace_sid: str) -> WorkspaceRouting:
        row = await session.get(models.Workspace, workspace_sid)
        if row is None:
            raise not_found(f"/Workspaces/{workspace_sid}")
        snapshot = await load_snapshot(session, row)
        # Through the manager, so a test can move time for every engine at once.
        engine = RoutingEngine(lambda: self.clock(), new_sid, settings_of(row))
        catch_up = engine.restore(snapshot)
        realtime = await RealtimeCounters.load(session, workspace_sid, engine)
        state = WorkspaceRouting(
            sid=workspace_sid,
            account_sid=row.account_sid,
            friendly_name=row.friendly_name,
            engine=engine,
            realtime=realtime,
            webhook=webhook_target(row),
            stored=StoredRows({reservation.sid for reservation in snapshot.reservations}),
        )
        workflows = await session.execute(
            select(models.Workflow.sid, models.Workflow.assignment_callback_url).where(
                models.Workflow.workspace_sid == workspace_sid
            )
        )
        state.assignment_callbacks = {sid: url for sid, url in workflows if url}
        if nodes.is_shared(session):
            state.version = await nodes.current_version(session, workspace_sid)
        self._workspaces[workspace_sid] = state
        session.info.setdefault(_DIRTY, set()).add(workspace_sid)
        await self._write(session, state, [(catch_up, SYSTEM)])
        state.stored.remember(engine.workers.values())
        if len(engine.workers) >= heap.LARGE_WORKSPACE:
            heap.settle()
        return state

    async def load_all(self) -> None:
        """At start-up: every workspace, so timers that fell due while down fire now."""
        async with self.runtime.sessions() as session:
            sids = list((await session.execute(select(models.Workspace.sid))).scalars())
        for sid in sids:
            async with self.runtime.sessions() as session:
                await self.workspace(session, sid)
                await session.commit()

    # ----------------------------------------------------------------- locking

    async def _acquire(self, session: AsyncSession, workspace_sid: str) -> None:
        held: set[str] = session.info.setdefault(_HELD, set())
        if workspace_sid in held:
            return
        if not session.in_transaction():
            await session.connection()
        if not held and session.get_bind().dialect.name == "sqlite":
            # SQLite has one writer at a time. A caller that wrote before asking us (a stored
            # webhook, say) holds that write lock while it waits for ours, so ours must only be
            # taken by whoever holds the database's: claim it first, always in this order.
            await session.execute(_CLAIM_SQLITE_WRITER)
        lock = self._locks.setdefault(workspace_sid, asyncio.Lock())
        await lock.acquire()
        held.add(workspace_sid)
        if nodes.is_shared(session):
            await self._catch_up_with_other_nodes(session, workspace_sid)

    async def _catch_up_with_other_nodes(self, session: AsyncSession, workspace_sid: str) -> None:
        """Serialise with the other nodes, and forget an engine another node has moved on."""
        version = await nodes.lock_workspace(session, workspace_sid)
        state = self._workspaces.get(workspace_sid)
        if state is not None and state.version != version:
            del self._workspaces[workspace_sid]

    def _committed(self, sync_session: Session) -> None:
        sync_session.info[_COMMITTED] = True

    def _rolled_back(self, sync_session: Session, previous: SessionTransaction) -> None:
        """A savepoint rolled back after a command: its rows are gone even if the transaction
        commits, so the workspaces it touched are reloaded at the end either way."""
        if previous.nested and sync_session.info.get(_DIRTY):
            sync_session.info[_POISONED] = True

    def _transaction_ended(self, sync_session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is not None or transaction.nested:
            return
        info = sync_session.info
        committed = info.pop(_COMMITTED, False)
        dirty: set[str] = info.pop(_DIRTY, set())
        deleted: set[str] = info.pop(_DELETED, set())
        poisoned = info.pop(_POISONED, False)
        info.pop(_DEFERRED, None)
        trusted = committed and not poisoned
        for sid in deleted if trusted else dirty:
            self._workspaces.pop(sid, None)
        if not trusted and dirty - deleted:
            self._dropped |= dirty - deleted
            self._wake.set()
        for sid in info.pop(_HELD, set()):
            self._locks[sid].release()
        if committed and dirty:
            self._wake.set()

    # ------------------------------------------------------------------ timers

    def next_deadline(self) -> float | None:
        deadlines = [
            deadline
            for state in self._workspaces.values()
            if (deadline := state.engine.next_deadline()) is not None
        ]
        return min(deadlines, default=None)

    async def advance_due(self) -> None:
        """Fire the deadlines due now, one transaction per workspace."""
        now = self.clock()
        due = [
            sid
            for sid, state in list(self._workspaces.items())
            if (deadline := state.engine.next_deadline()) is not None and deadline <= now
        ]
        for sid in due:
            try:
                async with self.runtime.sessions() as session:
                    await self.execute(session, sid, lambda engine: engine.advance())
                    await session.commit()
            except Exception:
                log.exception("advancing the timers of workspace %s failed", sid)

    async def run_timers(self) -> None:
        """The background job: while this node holds the timers lease, sleep until the
        earliest deadline, advance, repeat."""
        lease = nodes.TimersLease(self.runtime.engine)
        polled = -SHARED_POLL
        try:
            while True:
                # Several nodes: check the lease and catch up with the others once a poll
                # period, not on every wake. This node's own commits wake the job, and catching
                # up locks every workspace: it doubled the statements of each command.
                if lease.shared and time.monotonic() - polled >= SHARED_POLL:
                    if not await lease.held():
                        await asyncio.sleep(LEASE_RETRY)
                        continue
                    await self.load_all()
                    polled = time.monotonic()
                self._wake.clear()
                await self._reload_dropped()
                await self.advance_due()
                deadline = self.next_deadline()
                wait = MAX_SLEEP if deadline is None else min(MAX_SLEEP, deadline - self.clock())
                if lease.shared:
                    wait = min(wait, SHARED_POLL)
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            await lease.release()

    async def _reload_dropped(self) -> None:
        """Workspaces dropped after a failed transaction must keep their timers running."""
        dropped, self._dropped = self._dropped, set()
        for sid in dropped - self._workspaces.keys():
            try:
                async with self.runtime.sessions() as session:
                    await self.workspace(session, sid)
                    await session.commit()
            except Exception:
                log.exception("reloading workspace %s failed", sid)


def _refuse_unwritten(sync_session: Session) -> None:
    """A commit with deferred commands unwritten would lose them while the engine keeps them."""
    if any(sync_session.info.get(_DEFERRED, {}).values()):
        raise RuntimeError("routing commands deferred but not written before the commit")
