"""What an agent does from the desk: read what they hold, change status, take or refuse an
offer, wrap up and complete. Every action first proves the work is this agent's own.

Routing changes go through the TaskRouter service (the same use cases as the HTTP API); a
chat's conversation is closed through messaging and a call's through voice, so each channel
keeps its own records, and the desk keeps the disposition in its wrap-up table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.principal import Principal
from atende.conversations.models import Conversation
from atende.conversations.repository import ConversationRepository
from atende.db.base import utcnow
from atende.desk.models import WrapUp
from atende.desk.repository import DeskRepository
from atende.desk.schemas import (
    ActivityView,
    AgentState,
    CannedResponseOut,
    CustomerPanel,
    DispositionOut,
    HistoryEntry,
    Softphone,
    TransferTarget,
    TransferTargets,
)
from atende.desk.static_files import vendor_url
from atende.desk.views import collected, held_by, worker_view
from atende.errors import Problem, TwilioError
from atende.events.repository import EventRepository
from atende.messaging.media import ATTACHMENTS
from atende.routing.engine import RoutingEngine
from atende.routing.model import Reservation, ReservationStatus, TaskStatus
from atende.runtime import Runtime
from atende.taskrouter.event_records import Actor
from atende.taskrouter.service import TaskRouterService
from atende.voice.controls import CallService
from atende.voice.models import Call
from atende.voice.repository import VoiceRepository

HELD = frozenset({ReservationStatus.ACCEPTED, ReservationStatus.WRAPPING})
LIVE_TASK = frozenset({TaskStatus.ASSIGNED, TaskStatus.WRAPPING})
HISTORY_LIMIT = 10
TWILIO_SDK = "twilio-voice.min.js"


def call_entry(call: Call) -> HistoryEntry:
    """A call in the customer's history: how it went and how long the customer talked to us."""
    talked = (
        int((call.ended_at - call.connected_at).total_seconds())
        if call.ended_at and call.connected_at
        else None
    )
    return HistoryEntry(
        call_sid=call.sid,
        channel="voice",
        protocol=call.protocol,
        opened_at=call.created_at,
        closed_at=call.ended_at,
        disposition=call.disposition,
        direction=call.direction,
        duration_seconds=talked,
        outcome=call_outcome(call),
    )


def call_outcome(call: Call) -> str:
    """What the agent needs to know of an earlier call: did anybody talk to the customer."""
    if call.abandoned:
        return "abandoned"
    if call.connected_at is not None:
        return "answered"
    if call.callback_requested:
        return "callback"
    return "unanswered" if call.stage == "ended" else "in_progress"


@asynccontextmanager
async def as_problem() -> AsyncIterator[None]:
    """The desk speaks the native API's problem shape, not TaskRouter's error shape."""
    try:
        yield
    except TwilioError as error:
        raise Problem(error.status, "Refused", error.message, code=error.code) from None


class AgentDesk:
    def __init__(self, session: AsyncSession, runtime: Runtime, principal: Principal) -> None:
        if not principal.worker_sid or not principal.workspace_sid:
            raise Problem(403, "Forbidden", "this login has no worker: the desk needs one")
        self.session = session
        self.runtime = runtime
        self.principal = principal
        self.worker_sid: str = principal.worker_sid
        self.workspace_sid: str = principal.workspace_sid
        self.taskrouter = TaskRouterService(session, runtime, Actor("worker", self.worker_sid))

    async def engine(self) -> RoutingEngine:
        async with as_problem():
            return (await self.taskrouter.peek(self.workspace_sid)).engine

    # ------------------------------------------------------------------ reading

    async def state(self) -> AgentState:
        # The sequence is read first: anything that changes after it reaches the page's stream.
        last_seq = await EventRepository(self.session).last_sequence()
        engine = await self.engine()
        worker = engine.workers.get(self.worker_sid)
        if worker is None:
            raise Problem(404, "Not Found", f"worker {self.worker_sid} no longer exists")
        view = worker_view(engine, worker)
        settings = DeskRepository(self.session)
        return AgentState(
            now=utcnow(),
            last_seq=last_seq,
            workspace_sid=self.workspace_sid,
            worker=view,
            activities=activities(engine),
            work=view.work,
            dispositions=[DispositionOut.model_validate(d) for d in await settings.dispositions()],
            canned_responses=[
                CannedResponseOut.model_validate(c) for c in await settings.canned_responses()
            ],
            softphone=await self.softphone(worker.attributes.get("contact_uri")),
            attachment_limits={mime: rule.max_bytes for mime, rule in ATTACHMENTS.items()},
        )

    async def softphone(self, contact_uri: object) -> Softphone | None:
        """A real carrier's calls are answered in the browser when voice dials the agent at
        `client:<identity>`; an agent reached at a phone number or SIP address, and the
        sandbox, ring no browser."""
        if not (isinstance(contact_uri, str) and contact_uri.startswith("client:")):
            return None
        channels = await VoiceRepository(self.session).list_channels()
        twilio = next((channel for channel in channels if channel.kind == "twilio"), None)
        if twilio is None:
            return None
        return Softphone(channel_sid=twilio.sid, sdk_url=vendor_url(TWILIO_SDK))

    async def held(
        self, task_sid: str, statuses: frozenset[ReservationStatus] = HELD
    ) -> Reservation:
        """The reservation through which this agent holds the task; 404 when it is not theirs."""
        for reservation in held_by(await self.engine(), self.worker_sid):
            if reservation.task_sid == task_sid and reservation.status in statuses:
                return reservation
        raise Problem(404, "Not Found", f"task {task_sid} is not held by you")

    async def customer(self, task_sid: str) -> CustomerPanel:
        await self.held(task_sid, HELD | {ReservationStatus.PENDING})
        task = (await self.engine()).tasks.get(task_sid)
        attributes: dict[str, Any] = dict(task.attributes) if task else {}
        repository = ConversationRepository(self.session)
        conversation = await repository.by_task(task_sid)
        contact_sid = conversation.contact_sid if conversation else attributes.get("contact_sid")
        contact = await repository.contact(contact_sid) if isinstance(contact_sid, str) else None
        crm = attributes.get("crm")
        return CustomerPanel(
            protocol=(conversation.protocol if conversation else None)
            or attributes.get("protocol"),
            contact={
                "name": (contact.name if contact else None) or attributes.get("name"),
                "phone": (contact.phone if contact else None) or attributes.get("from"),
                "email": contact.email if contact else None,
            },
            collected=collected(attributes),
            crm=crm if isinstance(crm, dict) else None,
            history=await self._history(
                repository, contact_sid, conversation, attributes.get("voice_call_sid")
            ),
        )

    async def _history(
        self,
        repository: ConversationRepository,
        contact_sid: Any,
        current: Conversation | None,
        current_call: Any,
    ) -> list[HistoryEntry]:
        """The contact's other conversations and calls, newest first."""
        if not isinstance(contact_sid, str):
            return []
        entries: dict[str, HistoryEntry] = {}
        for conversation, message in await repository.history(contact_sid):
            if current is not None and conversation.sid == current.sid:
                continue
            entry = entries.get(conversation.sid)
            summary = message.text if message.author == "customer" and message.text else None
            if entry is None:
                entries[conversation.sid] = HistoryEntry(
                    conversation_sid=conversation.sid,
                    channel=conversation.channel,
                    protocol=conversation.protocol,
                    opened_at=conversation.opened_at,
                    closed_at=conversation.closed_at,
                    disposition=conversation.disposition,
                    summary=summary,
                )
            elif summary and entry.summary is None:
                entry.summary = summary
        # One more than shown: the call the agent is on is among them and left out.
        calls = await VoiceRepository(self.session).calls_of(contact_sid, HISTORY_LIMIT + 1)
        entries.update((call.sid, call_entry(call)) for call in calls if call.sid != current_call)
        newest = sorted(entries.values(), key=lambda e: e.opened_at, reverse=True)
        return newest[:HISTORY_LIMIT]

    async def transfer_targets(self) -> TransferTargets:
        engine = await self.engine()
        return TransferTargets(
            queues=[
                TransferTarget(sid=q.sid, name=q.friendly_name) for q in engine.task_queues.values()
            ],
            workers=sorted(
                (
                    TransferTarget(sid=w.sid, name=w.friendly_name)
                    for w in engine.workers.values()
                    if w.available and w.sid != self.worker_sid
                ),
                key=lambda target: target.name,
            ),
        )

    # ------------------------------------------------------------------ acting

    async def set_activity(self, activity_sid: str) -> None:
        """Going on a break declines the offers still ringing, as TaskRouter allows."""
        engine = await self.engine()
        activity = engine.activities.get(activity_sid)
        if activity is None:
            raise Problem(422, "Invalid activity", f"activity_sid: no activity {activity_sid}")
        async with as_problem():
            await self.taskrouter.update_worker(
                self.workspace_sid,
                self.worker_sid,
                activity_sid=activity_sid,
                reject_pending_reservations=not activity.available,
            )

    async def _offer(self, reservation_sid: str) -> None:
        row = await self.taskrouter.repo.reservation(
            self.workspace_sid, reservation_sid, worker_sid=self.worker_sid
        )
        if row is None:
            raise Problem(404, "Not Found", f"reservation {reservation_sid} is not yours")

    async def accept(self, reservation_sid: str) -> None:
        await self._offer(reservation_sid)
        async with as_problem():
            await self.taskrouter.accept_reservation(self.workspace_sid, reservation_sid)

    async def reject(self, reservation_sid: str) -> None:
        """Declining moves the agent to the workspace's timeout activity, as letting the offer
        ring out would: left available, the only agent who fits would be offered the same task
        again at once, and "Recusar" would seem to do nothing. The status selector shows it."""
        await self._offer(reservation_sid)
        away = (await self.engine()).settings.timeout_activity_sid
        async with as_problem():
            await self.taskrouter.reject_reservation(self.workspace_sid, reservation_sid, away)

    async def start_wrap_up(self, task_sid: str) -> None:
        reservation = await self.held(task_sid, frozenset({ReservationStatus.ACCEPTED}))
        async with as_problem():
            await self.taskrouter.update_reservation(
                self.workspace_sid, reservation.sid, status="wrapping"
            )

    async def complete(self, task_sid: str, code: str, note: str) -> None:
        await self.held(task_sid)
        repository = DeskRepository(self.session)
        disposition = await repository.disposition_by_code(code)
        if disposition is None or not disposition.active:
            raise Problem(422, "Invalid disposition", f"disposition_code: no disposition {code!r}")
        if await repository.wrap_up(task_sid) is not None:
            raise Problem(409, "Conflict", f"task {task_sid} was already wrapped up")
        await self._close_conversation(task_sid, code, note)
        await self._close_call(task_sid, code, note)
        task = (await self.engine()).tasks.get(task_sid)
        if task is not None and task.assignment_status in LIVE_TASK:
            async with as_problem():
                await self.taskrouter.complete_task(self.workspace_sid, task_sid, reason=code)
        repository.add(
            WrapUp(
                workspace_sid=self.workspace_sid,
                task_sid=task_sid,
                worker_sid=self.worker_sid,
                disposition_code=disposition.code,
                disposition_label=disposition.label,
                note=note,
            )
        )

    async def _close_conversation(self, task_sid: str, code: str, note: str) -> None:
        """A chat ends in messaging too: it closes the conversation and keeps the transcript."""
        conversation = await ConversationRepository(self.session).by_task(task_sid)
        hub = self.runtime.services.get("messaging")
        if conversation is None or conversation.state == "closed" or hub is None:
            return
        await hub.router.wrap_up(self.session, conversation, code, note or None, self.worker_sid)

    async def _close_call(self, task_sid: str, code: str, note: str) -> None:
        """A call ends in voice too: it records the disposition and completes the task. A call
        transferred away goes on under the target's task: this agent's wrap-up completes only
        their own task, and leaves the call (no longer theirs) alone."""
        task = (await self.engine()).tasks.get(task_sid)
        call_sid = task.attributes.get("voice_call_sid") if task else None
        if not isinstance(call_sid, str) or "voice.config" not in self.runtime.services:
            return
        current = await VoiceRepository(self.session).call(call_sid)
        if current is None or current.task_sid != task_sid:
            return
        calls = CallService(self.session, self.runtime)
        call = await calls.call_for(self.principal, call_sid)
        if call.stage != "ended":
            await calls.complete(call, code, note or None)


def activities(engine: RoutingEngine) -> list[ActivityView]:
    return [
        ActivityView(sid=activity.sid, name=activity.friendly_name, available=activity.available)
        for activity in engine.activities.values()
    ]
