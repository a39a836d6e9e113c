"""Every query of the voice domain (and its read-only looks at TaskRouter's tables)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, TextualSelect, bindparam, func, insert, inspect, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstanceState

from atende.db.base import utcnow
from atende.desk.models import Disposition
from atende.taskrouter import models as tr
from atende.voice.models import Call, CallLeg, Recording, VoiceChannel, VoiceWebhook

NO_WAITING = "voice.no-waiting"
"""Session flag: this transaction holds locks others may wait on, so it must not wait for a
call's row (see `atende.voice.batch`)."""

ACTIVE_STAGES = ("ivr", "queued", "callback", "connecting", "connected", "wrapup")

# The webhook statements run on every request, so they are built once and compiled once: the
# dialects' own INSERT (for ON CONFLICT) is not cacheable in SQLAlchemy 2.0 and would be
# compiled again each time; this text is the same on SQLite and PostgreSQL.
_WEBHOOKS = cast(Table, VoiceWebhook.__table__)
_WEBHOOK_FIELDS = ("key", "kind", "call_sid", "params", "received_at")


@functools.cache
def _store_webhooks(count: int) -> TextualSelect:
    """`count` webhooks in one INSERT, each kept only if its key is new; the keys stored come
    back. One text per count (a batch holds at most `batch.MAX_BATCH`)."""
    rows = ", ".join(
        "(" + ", ".join(f":{name}_{index}" for name in _WEBHOOK_FIELDS) + ")"
        for index in range(count)
    )
    return (
        text(
            'INSERT INTO voice_webhooks ("key", kind, call_sid, params, received_at) '
            f'VALUES {rows} ON CONFLICT ("key") DO NOTHING RETURNING "key", id'
        )
        .bindparams(
            *(
                bindparam(f"{name}_{index}", type_=_WEBHOOKS.c[name].type)
                for index in range(count)
                for name in ("params", "received_at")
            )
        )
        .columns(key=_WEBHOOKS.c.key.type, id=_WEBHOOKS.c.id.type)
    )


_CALLS = cast(Table, Call.__table__)
_LEGS = cast(Table, CallLeg.__table__)
_INSERT_CALL = insert(_CALLS)
_INSERT_LEG = insert(_LEGS)
_COLUMNS = frozenset(_CALLS.c.keys()) | frozenset(_LEGS.c.keys())
_CLAIM_CALL = update(_CALLS).where(_CALLS.c.sid == bindparam("sid")).values(sid=_CALLS.c.sid)
_WEBHOOK_REPLY = select(_WEBHOOKS.c.reply).where(_WEBHOOKS.c.key == bindparam("key"))
_SET_WEBHOOK_REPLY = (
    update(_WEBHOOKS)
    .where(_WEBHOOKS.c.id == bindparam("webhook_id"))
    .values(reply=bindparam("reply"))
)


HELD_ROWS = "voice.held-rows"
STORED_AHEAD = "voice.stored-ahead"


@dataclass(frozen=True)
class IncomingWebhook:
    """A verified webhook as it is stored, under its key (see `webhook_key`)."""

    key: str
    kind: str
    call_sid: str | None
    params: dict[str, str]


async def _insert_webhooks(
    session: AsyncSession, webhooks: Sequence[IncomingWebhook]
) -> dict[str, int]:
    """The id of each webhook whose key was new (the first of a key given twice)."""
    now = utcnow()
    values = {
        f"{name}_{index}": value
        for index, webhook in enumerate(webhooks)
        for name, value in (
            ("key", webhook.key),
            ("kind", webhook.kind),
            ("call_sid", webhook.call_sid),
            ("params", webhook.params),
            ("received_at", now),
        )
    }
    result = await session.execute(_store_webhooks(len(webhooks)), values)
    return {key: webhook_id for key, webhook_id in result.tuples()}


async def store_ahead(session: AsyncSession, webhooks: Sequence[IncomingWebhook]) -> None:
    """A batch's webhooks stored in one statement before their jobs run (instead of one each);
    each job's `store_webhook` then takes its outcome from here."""
    stored: dict[str, int | None] = {webhook.key: None for webhook in webhooks}
    if webhooks:
        stored.update(await _insert_webhooks(session, webhooks))
    session.info[STORED_AHEAD] = stored


@dataclass
class HeldRows:
    """New calls, their legs and the webhooks' replies, held by a batch of webhooks and
    written together (one statement each) before anything reads them: see `write_held`."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    legs: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    reply_by_key: dict[str, str] = field(default_factory=dict)


def hold_rows(session: AsyncSession) -> None:
    """From now on this session's new calls and webhook replies wait for `write_held`."""
    session.info[HELD_ROWS] = HeldRows()


def held_rows(session: AsyncSession) -> HeldRows | None:
    found: HeldRows | None = session.info.get(HELD_ROWS)
    return found


async def write_held(session: AsyncSession) -> None:
    """Write what the session holds: each table's rows in one statement (calls before their
    legs), and go on holding."""
    held = held_rows(session)
    if held is None:
        return
    for statement, rows in (
        (_INSERT_CALL, held.calls),
        (_INSERT_LEG, held.legs),
        (_SET_WEBHOOK_REPLY, held.replies),
    ):
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(sorted(row)), []).append(row)
        for same in by_columns.values():
            await session.execute(statement, same)
        rows.clear()
    held.reply_by_key.clear()


class VoiceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---------------------------------------------------------------- webhooks

    async def store_webhook(
        self, key: str, kind: str, call_sid: str | None, params: dict[str, str]
    ) -> int | None:
        """The stored webhook's id, or None when this key was stored before (a replay)."""
        ahead: dict[str, int | None] | None = self.session.info.get(STORED_AHEAD)
        if ahead is not None and key in ahead:
            stored, ahead[key] = ahead[key], None  # a second delivery in the batch is a replay
            return stored
        webhook = IncomingWebhook(key, kind, call_sid, params)
        return (await _insert_webhooks(self.session, [webhook])).get(key)

    async def webhook_reply(self, key: str) -> str | None:
        held = held_rows(self.session)
        if held is not None and key in held.reply_by_key:
            return held.reply_by_key[key]
        result = await self.session.execute(_WEBHOOK_REPLY, {"key": key})
        return result.scalar_one_or_none()

    async def set_webhook_reply(self, webhook_id: int, key: str, reply: str) -> None:
        held = held_rows(self.session)
        if held is not None:
            held.replies.append({"webhook_id": webhook_id, "reply": reply})
            held.reply_by_key[key] = reply
            return
        await self.session.execute(_SET_WEBHOOK_REPLY, {"webhook_id": webhook_id, "reply": reply})

    # ---------------------------------------------------------------- channels

    async def channels_for_account(self, account_sid: str) -> Sequence[VoiceChannel]:
        result = await self.session.execute(
            select(VoiceChannel).where(VoiceChannel.account_sid == account_sid)
        )
        return result.scalars().all()

    async def channel(self, sid: str) -> VoiceChannel | None:
        return await self.session.get(VoiceChannel, sid)

    async def channel_by_number(self, number: str) -> VoiceChannel | None:
        result = await self.session.execute(
            select(VoiceChannel).where(VoiceChannel.phone_number == number)
        )
        return result.scalar_one_or_none()

    async def list_channels(self) -> Sequence[VoiceChannel]:
        result = await self.session.execute(select(VoiceChannel).order_by(VoiceChannel.name))
        return result.scalars().all()

    async def first_channel(self) -> VoiceChannel | None:
        query = select(VoiceChannel).order_by(VoiceChannel.created_at).limit(1)
        return (await self.session.execute(query)).scalar_one_or_none()

    # ------------------------------------------------------------------- calls

    async def call(self, sid: str, *, lock: bool = False) -> Call | None:
        """With `lock`, the call's row is held until the transaction ends (PostgreSQL; SQLite
        has one writer at a time anyway). A transaction marked NO_WAITING fails at once
        (SQLSTATE 55P03) instead of waiting for another transaction's hold."""
        query = select(Call).where(Call.sid == sid)
        if lock and self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(nowait=bool(self.session.info.get(NO_WAITING)))
        return (await self.session.execute(query)).scalar_one_or_none()

    async def call_first(self, sid: str) -> Call | None:
        """The call, locked as the transaction's first statement. A call is always locked
        before its legs, whoever writes (a webhook, Twilio's answer to a dial), so that two of
        them never wait on each other; on SQLite, whose lock is the database's, a write comes
        first so the transaction never reads a snapshot it could not then write after."""
        if self.session.bind.dialect.name == "sqlite":
            await self.session.execute(_CLAIM_CALL, {"sid": sid})
        return await self.call(sid, lock=True)

    async def insert_new_call(self, call: Call, customer: CallLeg) -> None:
        """A new call and its customer leg, written once in their final state by plain INSERTs:
        every arriving call comes this way, and the unit of work's bookkeeping for two new rows
        costs more than the statements (they are not added to the session)."""
        held = held_rows(self.session)
        for row, statement, kept in (
            (call, _INSERT_CALL, None if held is None else held.calls),
            (customer, _INSERT_LEG, None if held is None else held.legs),
        ):
            state: InstanceState[Any] = inspect(row)
            values = {key: value for key, value in state.dict.items() if key in _COLUMNS}
            if kept is not None:
                kept.append(values)
            else:
                await self.session.execute(statement, values)

    async def call_by_task(self, task_sid: str) -> Call | None:
        """The call a task (or a transfer's task) belongs to."""
        result = await self.session.execute(select(Call).where(Call.task_sid == task_sid))
        found = result.scalar_one_or_none()
        if found is not None:
            return found
        result = await self.session.execute(
            select(Call).where(Call.stage.in_(ACTIVE_STAGES), Call.transfer.is_not(None))
        )
        for call in result.scalars():
            if (call.transfer or {}).get("task_sid") == task_sid:
                return call
        return None

    async def list_calls(
        self, *, worker_sid: str | None = None, active: bool | None = None, limit: int = 100
    ) -> Sequence[Call]:
        query = select(Call).order_by(Call.created_at.desc()).limit(limit)
        if worker_sid is not None:
            query = query.where(Call.worker_sid == worker_sid)
        if active is True:
            query = query.where(Call.stage.in_(ACTIVE_STAGES))
        elif active is False:
            query = query.where(Call.stage == "ended")
        return (await self.session.execute(query)).scalars().all()

    async def calls_of(self, contact_sid: str, limit: int) -> Sequence[Call]:
        """A contact's calls, newest first: their part of the contact's history."""
        query = (
            select(Call)
            .where(Call.contact_sid == contact_sid)
            .order_by(Call.created_at.desc())
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def waiting_calls_to_act_on(self) -> list[tuple[str, str, str | None, str | None, str]]:
        """Calls still waiting whose stored routing state asks for action: (call, task,
        reservation, worker, what), `what` being canceled, accepted or pending (a reservation
        with an instruction, or a click-to-call's own)."""
        reservation = tr.Reservation
        acting = (reservation.reservation_status == "accepted") | (
            (reservation.reservation_status == "pending")
            & (reservation.instruction.is_not(None) | (Call.direction == "outbound"))
        )
        query = (
            select(
                Call.sid,
                tr.Task.sid,
                reservation.sid,
                reservation.worker_sid,
                tr.Task.assignment_status,
                reservation.reservation_status,
            )
            .join(tr.Task, tr.Task.sid == Call.task_sid)
            .outerjoin(reservation, (reservation.task_sid == Call.task_sid) & acting)
            .where(
                Call.stage.in_(("queued", "callback")),
                (tr.Task.assignment_status == "canceled") | reservation.sid.is_not(None),
            )
        )
        found = []
        for (
            call_sid,
            task_sid,
            reservation_sid,
            worker_sid,
            task_status,
            status,
        ) in await self.session.execute(query):
            what = "canceled" if task_status == "canceled" else str(status)
            found.append((call_sid, task_sid, reservation_sid, worker_sid, what))
        return found

    async def claim_stage(self, call_sid: str, expected: Sequence[str], stage: str) -> bool:
        """Move a call to `stage` only if it still is in one of `expected`: when two nodes hear
        the same routing event, exactly one of them acts on it."""
        result = await self.session.execute(
            update(Call)
            .where(Call.sid == call_sid, Call.stage.in_(expected))
            .values(stage=stage, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        return bool(getattr(result, "rowcount", 0))

    # -------------------------------------------------------------------- legs

    async def leg(self, call_sid: str) -> CallLeg | None:
        return await self.session.get(CallLeg, call_sid)

    async def ensure_leg(
        self,
        call_sid: str,
        voice_call_sid: str,
        role: str,
        worker_sid: str | None,
        address: str,
        status: str = "queued",
    ) -> CallLeg:
        """The leg, created if new; Twilio's answer and its first callback may race to it."""
        upsert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        now = utcnow()
        await self.session.execute(
            upsert(CallLeg)
            .values(
                call_sid=call_sid,
                voice_call_sid=voice_call_sid,
                role=role,
                worker_sid=worker_sid,
                address=address,
                status=status,
                in_conference=False,
                on_hold=False,
                muted=False,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["call_sid"])
        )
        leg = await self.session.get(CallLeg, call_sid, populate_existing=True)
        assert leg is not None
        return leg

    async def legs(self, voice_call_sid: str) -> Sequence[CallLeg]:
        result = await self.session.execute(
            select(CallLeg)
            .where(CallLeg.voice_call_sid == voice_call_sid)
            .order_by(CallLeg.created_at)
        )
        return result.scalars().all()

    # -------------------------------------------------------------- recordings

    async def recording(self, sid: str) -> Recording | None:
        return await self.session.get(Recording, sid)

    async def recordings(self, voice_call_sid: str) -> Sequence[Recording]:
        result = await self.session.execute(
            select(Recording)
            .where(Recording.voice_call_sid == voice_call_sid)
            .order_by(Recording.created_at)
        )
        return result.scalars().all()

    async def recordings_past_retention(
        self, now: datetime, limit: int = 100
    ) -> Sequence[Recording]:
        result = await self.session.execute(
            select(Recording)
            .where(Recording.deleted_at.is_(None), Recording.retain_until <= now)
            .limit(limit)
        )
        return result.scalars().all()

    # ------------------------------------------------------------ desk (reads)

    async def active_dispositions(self) -> list[str]:
        """The wrap-up codes administrators keep in the desk, in their order."""
        result = await self.session.execute(
            select(Disposition.code)
            .where(Disposition.active.is_(True))
            .order_by(Disposition.position, Disposition.code)
        )
        return list(result.scalars())

    # ------------------------------------------------------ TaskRouter (reads)

    async def worker(self, worker_sid: str) -> tr.Worker | None:
        return await self.session.get(tr.Worker, worker_sid)

    async def worker_attributes(self, worker_sid: str) -> dict[str, Any]:
        worker = await self.worker(worker_sid)
        if worker is None:
            return {}
        try:
            value = json.loads(worker.attributes or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    async def task(self, task_sid: str) -> tr.Task | None:
        return await self.session.get(tr.Task, task_sid)

    async def reservation(self, reservation_sid: str) -> tr.Reservation | None:
        return await self.session.get(tr.Reservation, reservation_sid)

    async def workflow(self, workflow_sid: str) -> tr.Workflow | None:
        return await self.session.get(tr.Workflow, workflow_sid)

    async def queue_position(self, task: tr.Task) -> int:
        """1 for the next task its queue will hand out (same priority order, then age)."""
        if task.task_queue_sid is None:
            return 1
        ahead = await self.session.execute(
            select(func.count())
            .select_from(tr.Task)
            .where(
                tr.Task.task_queue_sid == task.task_queue_sid,
                tr.Task.assignment_status.in_(("pending", "reserved")),
                tr.Task.sid != task.sid,
                (tr.Task.priority > task.priority)
                | (
                    (tr.Task.priority == task.priority) & (tr.Task.date_created < task.date_created)
                ),
            )
        )
        return int(ahead.scalar_one()) + 1

    async def available_workers(self, workspace_sid: str) -> int:
        result = await self.session.execute(
            select(func.count())
            .select_from(tr.Worker)
            .where(tr.Worker.workspace_sid == workspace_sid, tr.Worker.available.is_(True))
        )
        return int(result.scalar_one())

    async def average_talk_seconds(self, since: timedelta) -> float | None:
        """Connected-to-ended time of recent calls, for the expected wait."""
        result = await self.session.execute(
            select(Call.connected_at, Call.ended_at).where(
                Call.connected_at.is_not(None),
                Call.ended_at.is_not(None),
                Call.ended_at >= utcnow() - since,
            )
        )
        spans = [(ended - connected).total_seconds() for connected, ended in result if ended]
        return sum(spans) / len(spans) if spans else None
