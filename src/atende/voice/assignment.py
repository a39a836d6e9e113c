"""Connecting the agent: what happens when routing gives a call to a worker.

When a reservation for a voice task is accepted (the agent clicked accept), the agent is dialled
into the caller's conference through the REST API (a participant to the worker's `contact_uri`:
`client:<identity>`, a phone number or a SIP address). If the caller is not on the line (a
callback or a click-to-call), the agent is called first and the customer once the agent is in.

A reservation may instead carry an instruction, as TaskRouter defines them:
- `conference` / `dequeue`: dial the worker (or `to`) into the caller's conference; the
  reservation is accepted when the worker joins, rejected if the worker's leg fails;
- `call`: call the worker (or `to`) with the given `url`; with `accept`, the reservation is
  accepted when the worker answers;
- `redirect`: send the caller's call to `url` (accepting first with `accept`); the call then
  leaves Atende's hands."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from atende.channels.twilio_voice import FINAL_CALL_STATUSES
from atende.channels.twilio_voice_twiml import ConferenceJoin, join_conference, twiml_text
from atende.db.base import utcnow
from atende.voice.events import emit
from atende.voice.models import Call, CallLeg
from atende.voice.service import VoiceService
from atende.voice.texts import text

WAITING_STAGES = ("queued", "callback")
INSTRUCTIONS = ("conference", "dequeue", "call", "redirect")


def instruction_params(raw: str | None) -> dict[str, Any]:
    """Parameters as the assignment callback answered them ("to", "url"...), or as the REST
    API names them ("DequeueTo", "CallUrl", "RedirectUrl"...), in one plain shape."""
    try:
        params = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(params, dict):
        return {}
    plain: dict[str, Any] = {}
    for key, value in params.items():
        name = _snake(str(key))
        for prefix in ("dequeue_", "call_", "redirect_", "conference_"):
            if name.startswith(prefix) and name[len(prefix) :] in _KNOWN:
                name = name[len(prefix) :]
                break
        plain[name] = value
    return plain


_KNOWN = frozenset({"to", "from", "url", "accept", "sid", "call_sid", "timeout", "record"})


def _snake(name: str) -> str:
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index:
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def contact_uri(attributes: Mapping[str, Any]) -> str | None:
    value = attributes.get("contact_uri")
    return value if isinstance(value, str) and value else None


class AssignmentService(VoiceService):
    # ----------------------------------------------------------- reservations

    async def reservation_accepted(
        self, task_sid: str, reservation_sid: str, worker_sid: str
    ) -> None:
        call = await self.repo.call_by_task(task_sid)
        if call is None:
            return
        if call.task_sid != task_sid:
            await self.transfer_accepted(call, task_sid, reservation_sid, worker_sid)
            return
        if call.reservation_sid == reservation_sid and call.stage not in WAITING_STAGES:
            return  # we accepted it ourselves, following an instruction
        reservation = await self.repo.reservation(reservation_sid)
        if reservation is not None and reservation.instruction in INSTRUCTIONS:
            await self.carry_out_instruction(
                call,
                reservation_sid,
                worker_sid,
                reservation.instruction,
                instruction_params(reservation.instruction_params),
                accepted=True,
            )
            return
        if not await self.repo.claim_stage(call.sid, WAITING_STAGES, "connecting"):
            return
        await self.session.refresh(call)
        call.worker_sid = worker_sid
        call.reservation_sid = reservation_sid
        attributes = await self.repo.worker_attributes(worker_sid)
        address = contact_uri(attributes)
        if address is None:
            await self._no_contact(call, worker_sid)
            return
        await self._dial_agent(call, worker_sid, address)
        await emit(self.session, call, "connecting", f"Calling agent {worker_sid} for {call.sid}")

    async def reservation_created(
        self, task_sid: str, reservation_sid: str, worker_sid: str
    ) -> None:
        """Click-to-call tasks are the agent's own: accept them at once. Instructions recorded
        by an assignment callback are carried out."""
        call = await self.repo.call_by_task(task_sid)
        if call is None or call.task_sid != task_sid or call.workspace_sid is None:
            return
        if call.direction == "outbound" and call.worker_sid == worker_sid:
            await self.routing.accept_reservation(call.workspace_sid, reservation_sid)
            return
        reservation = await self.repo.reservation(reservation_sid)
        if reservation is not None and reservation.instruction in INSTRUCTIONS:
            await self.carry_out_instruction(
                call,
                reservation_sid,
                worker_sid,
                reservation.instruction,
                instruction_params(reservation.instruction_params),
            )

    async def task_canceled(self, task_sid: str, reason: str | None) -> None:
        """Canceled by someone else (a supervisor, a workflow timeout) while the caller waits:
        tell the caller and end the call."""
        call = await self.repo.call_by_task(task_sid)
        if call is None:
            return
        if call.task_sid != task_sid:
            await self.transfer_task_canceled(call, task_sid)
            return
        if not await self.repo.claim_stage(call.sid, WAITING_STAGES, "ended"):
            return
        await self.session.refresh(call)
        call.end_reason = f"task canceled: {reason or 'no reason'}"
        call.ended_at = utcnow()
        if call.customer_call_sid and call.status not in ("completed", "canceled"):
            await self.end_leg(call, call.customer_call_sid)
        await emit(self.session, call, "ended", f"Call {call.sid} ended: {call.end_reason}")

    # ----------------------------------------------------------- instructions

    async def carry_out_instruction(
        self,
        call: Call,
        reservation_sid: str,
        worker_sid: str,
        instruction: str,
        params: Mapping[str, Any],
        *,
        accepted: bool = False,
    ) -> None:
        if not await self.repo.claim_stage(call.sid, WAITING_STAGES, "connecting"):
            return
        await self.session.refresh(call)
        call.worker_sid = worker_sid
        call.reservation_sid = reservation_sid
        call.transfer = None
        assert call.workspace_sid is not None
        attributes = await self.repo.worker_attributes(worker_sid)
        address = str(params.get("to") or contact_uri(attributes) or "")
        call.attributes = {**call.attributes, "instruction": instruction}
        if instruction == "redirect":
            if _truthy(params.get("accept")) and not accepted:
                await self.routing.accept_reservation(call.workspace_sid, reservation_sid)
            target = str(params.get("call_sid") or call.customer_call_sid or "")
            url = str(params.get("url") or "")
            await self.send(call, lambda rest: rest.redirect_call(target, url), "redirect")
            call.stage = "ended"
            call.end_reason = "redirected by instruction"
            call.ended_at = utcnow()
            return
        if not address:
            await self._no_contact(call, worker_sid)
            return
        if instruction == "call":
            url = str(params.get("url") or "")
            caller_id = str(params.get("from") or call.company_number)
            await self.send(
                call,
                lambda rest: rest.create_call(
                    to=address,
                    from_=caller_id,
                    url=url,
                    status_callback=self.urls.status(call.sid, "agent", worker_sid),
                ),
                "call",
            )
            return
        # conference and dequeue: the worker joins the caller's conference; accepted on join.
        call.attributes = {**call.attributes, "accept_on_join": not accepted}
        await self._dial_agent(call, worker_sid, address, caller_id=params.get("from"))

    # --------------------------------------------------------------- dialling

    async def _dial_agent(
        self, call: Call, worker_sid: str, address: str, caller_id: Any = None
    ) -> None:
        agent_first = call.callback_requested or call.direction == "outbound"
        if agent_first:
            from_ = str(caller_id or call.company_number)
            await self.send(
                call,
                lambda rest: rest.create_call(
                    to=address,
                    from_=from_,
                    url=self.urls.join(call.sid, "agent", worker_sid),
                    status_callback=self.urls.status(call.sid, "agent", worker_sid),
                ),
                "agent_call",
            )
            return
        from_ = str(
            caller_id
            or (call.customer_number if address.startswith("client:") else call.company_number)
        )
        await self.send(
            call,
            lambda rest: rest.add_participant(
                call.sid,
                from_=from_,
                to=address,
                label=f"agent:{worker_sid}",
                status_callback=self.urls.status(call.sid, "agent", worker_sid),
            ),
            "participant",
        )

    async def _dial_customer(self, call: Call) -> None:
        """The callback's second leg: the agent is in; now ring the customer into the room."""
        await self.send(
            call,
            lambda rest: rest.add_participant(
                call.sid,
                from_=call.company_number,
                to=call.customer_number,
                label="customer",
                status_callback=self.urls.status(call.sid, "customer"),
                end_conference_on_exit=True,
                conference_status_callback=self.urls.conference(call.sid),
            ),
            "participant",
        )

    async def _no_contact(self, call: Call, worker_sid: str) -> None:
        """A worker with no contact_uri cannot be dialled: put the call back in the queue."""
        await emit(
            self.session, call, "agent_unreachable", f"Worker {worker_sid} has no contact_uri"
        )
        await self.requeue(call, "worker has no contact_uri")

    async def requeue(self, call: Call, reason: str) -> None:
        """The agent could not be reached: close that task and queue the caller again, ahead."""
        assert call.workspace_sid is not None
        if call.task_sid is not None:
            reservation = (
                None
                if call.reservation_sid is None
                else await self.repo.reservation(call.reservation_sid)
            )
            if reservation is not None and reservation.reservation_status == "pending":
                await self.routing.reject_reservation(call.workspace_sid, reservation.sid)
                call.stage = "callback" if call.callback_requested else "queued"
                call.worker_sid = None
                call.reservation_sid = None
                return
            await self.routing.complete_task(call.workspace_sid, call.task_sid, reason)
        previous = {k: v for k, v in call.attributes.items() if k not in ("accept_on_join",)}
        call.worker_sid = None
        call.reservation_sid = None
        call.stage = "callback" if call.callback_requested else "queued"
        await self.create_task(call, {**previous, "requeued": True}, priority=1)

    # ---------------------------------------------------------------- joining

    async def join_twiml(self, call: Call, role: str, worker_sid: str | None) -> str:
        """For a leg we called ourselves (the agent of a callback or click-to-call)."""
        channel = await self.channel_of(call)
        response = VoiceResponse()
        if role == "agent":
            response.say(text("agent_callback", channel.language), language=channel.language)
        join_conference(
            response,
            ConferenceJoin(
                name=call.sid,
                status_callback=self.urls.conference(call.sid),
                start_on_enter=True,
                end_on_exit=False,
                record=channel.record_calls,
                recording_callback=self.urls.recording(call.sid),
            ),
        )
        return twiml_text(response)

    async def adopt_customer_leg(self, call: Call, leg: CallLeg) -> None:
        """A customer leg we dialled (callback, click-to-call) becomes the customer's side of
        the call, unless the current one is still live or the new one is already over."""
        if leg.role != "customer" or call.customer_call_sid == leg.call_sid:
            return
        if leg.status in FINAL_CALL_STATUSES:
            return
        current = (
            None if call.customer_call_sid is None else await self.repo.leg(call.customer_call_sid)
        )
        if current is None or current.status in FINAL_CALL_STATUSES:
            call.customer_call_sid = leg.call_sid

    async def participant_joined(self, call: Call, leg: CallLeg) -> None:
        await self.adopt_customer_leg(call, leg)
        transfer = call.transfer or {}
        if leg.role in ("agent", "consult") and transfer.get("worker_sid") == leg.worker_sid:
            transfer_call = {**transfer, "call_sid": leg.call_sid}
            call.transfer = transfer_call
            await self.transfer_target_joined(call, leg)
            return
        if leg.role == "agent" and leg.worker_sid == call.worker_sid:
            await self._agent_joined(call)
        elif leg.role == "customer" and call.stage == "connecting":
            await self._connected(call)

    async def _agent_joined(self, call: Call) -> None:
        if call.stage != "connecting":
            return
        if call.attributes.get("accept_on_join") and call.workspace_sid and call.reservation_sid:
            await self.routing.accept_reservation(call.workspace_sid, call.reservation_sid)
        customer_in = False
        if call.customer_call_sid:
            customer = await self.repo.leg(call.customer_call_sid)
            customer_in = customer is not None and customer.in_conference
        if (call.callback_requested or call.direction == "outbound") and not customer_in:
            await self._dial_customer(call)
            return
        await self._connected(call)

    async def _connected(self, call: Call) -> None:
        call.stage = "connected"
        call.connected_at = call.connected_at or utcnow()
        await emit(
            self.session, call, "connected", f"Call {call.sid} connected to {call.worker_sid}"
        )

    async def _agent_missed(self, call: Call, status: str) -> None:
        """The agent's leg ended before the agent was in (no answer, busy, rejected)."""
        await emit(self.session, call, "agent_missed", f"Agent leg {status} for call {call.sid}")
        if call.status in ("completed", "canceled", "failed", "busy", "no-answer") and not (
            call.callback_requested or call.direction == "outbound"
        ):
            return
        if call.direction == "outbound":
            call.end_reason = f"agent leg {status}"
            await self._wrap_up(call, call.end_reason)
            return
        await self.requeue(call, f"agent leg {status}")

    async def _end_agent_legs(self, call: Call) -> None:
        for leg in await self.repo.legs(call.sid):
            if leg.role != "customer" and leg.status not in ("completed", "canceled", "failed"):
                await self.end_leg(call, leg.call_sid)

    async def end_leg(self, call: Call, carrier_sid: str) -> None:
        await self.send(call, lambda rest: rest.end_call(carrier_sid), "end_call")

    async def _wrap_up(self, call: Call, reason: str) -> None:
        call.stage = "wrapup"
        call.ended_at = call.ended_at or utcnow()
        if call.task_sid is None or call.workspace_sid is None:
            return
        task = await self.repo.task(call.task_sid)
        if task is None:
            return
        if task.assignment_status == "assigned":
            await self.routing.wrap_up_task(call.workspace_sid, call.task_sid, reason)
        elif task.assignment_status in ("pending", "reserved"):
            await self.routing.cancel_task(call.workspace_sid, call.task_sid, reason)
            call.stage = "ended"

    async def set_customer_hold(self, call: Call, hold: bool) -> None:
        if call.conference_sid is None or call.customer_call_sid is None:
            return
        conference, customer = call.conference_sid, call.customer_call_sid
        await self.send(
            call,
            lambda rest: rest.update_participant(
                conference, customer, hold=hold, hold_url=self.urls.hold_music() if hold else None
            ),
            "hold",
        )
        call.on_hold = hold

    # -------------------------------------------------------------- transfers

    async def transfer_accepted(
        self, call: Call, task_sid: str, reservation_sid: str, worker_sid: str
    ) -> None:
        transfer = dict(call.transfer or {})
        if transfer.get("task_sid") != task_sid or transfer.get("state") != "waiting":
            return
        address = contact_uri(await self.repo.worker_attributes(worker_sid))
        if address is None:
            return
        transfer.update(state="ringing", worker_sid=worker_sid, reservation_sid=reservation_sid)
        call.transfer = transfer
        role = "consult" if transfer.get("kind") == "warm" else "agent"
        from_ = call.customer_number if address.startswith("client:") else call.company_number
        await self.send(
            call,
            lambda rest: rest.add_participant(
                call.sid,
                from_=from_,
                to=address,
                label=f"{role}:{worker_sid}",
                status_callback=self.urls.status(call.sid, role, worker_sid),
            ),
            "participant",
        )

    async def transfer_target_joined(self, call: Call, leg: CallLeg) -> None:
        """Hooked by the controls: a cold transfer completes here, a warm one starts talking."""

    async def transfer_target_gone(self, call: Call, leg: CallLeg) -> None:
        """Hooked by the controls: the transfer's target left or never answered."""

    async def transfer_task_canceled(self, call: Call, task_sid: str) -> None:
        """Hooked by the controls: nobody took the transfer's task."""
