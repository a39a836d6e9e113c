"""Twilio's status callbacks (calls, conference, recordings) moving calls along, idempotently.

The API layer has stored each callback under its key before this runs, so a duplicate never
gets here. Reordered callbacks are harmless: a leg's status only moves forward ("ringing" after
"completed" changes nothing), and a stage only changes from the stages it may come from.

What the end of a leg means depends on where the call stands:
- the caller hangs up in the IVR: the call just ends;
- while waiting in the queue: the task is canceled with a reason and the call counts as
  abandoned (a short abandon when it waited less than the configured threshold);
- while being connected or talking: the task goes to wrap-up;
- the agent's leg fails before it joins: the caller goes back to the queue (a new task);
- the agent hangs up while talking: the caller's call ends too and the task goes to wrap-up."""

from __future__ import annotations

from collections.abc import Mapping

from atende.channels.twilio_voice import FINAL_CALL_STATUSES, moves_forward
from atende.db.base import utcnow
from atende.voice.assignment import AssignmentService
from atende.voice.events import emit
from atende.voice.models import Call, CallLeg

ABANDON_REASON = "caller hung up while waiting"


class CallbackService(AssignmentService):
    # ------------------------------------------------------------ call status

    async def call_status(self, params: Mapping[str, str], query: Mapping[str, str]) -> None:
        carrier_sid = params.get("CallSid", "")
        leg = await self.repo.leg(carrier_sid)
        if leg is None:
            leg = await self._new_leg(carrier_sid, params, query)
            if leg is None:
                return
        status = params.get("CallStatus", "")
        if not moves_forward(leg.status, status):
            return
        call = await self.repo.call(leg.voice_call_sid, lock=True)  # before its leg is written
        leg.status = status
        leg.updated_at = utcnow()
        if status in FINAL_CALL_STATUSES:
            leg.in_conference = False
        if call is None:
            return
        await self.adopt_customer_leg(call, leg)
        if leg.role == "customer" and call.customer_call_sid == leg.call_sid:
            call.status = status
            call.updated_at = utcnow()
            if status in FINAL_CALL_STATUSES:
                await self._customer_gone(call, status)
        elif leg.role == "agent" and status in FINAL_CALL_STATUSES:
            await self._agent_gone(call, leg, status)
        elif status in FINAL_CALL_STATUSES:
            await self._other_gone(call, leg)

    async def _new_leg(
        self, carrier_sid: str, params: Mapping[str, str], query: Mapping[str, str]
    ) -> CallLeg | None:
        """A leg we dialled announces itself; our URL says which call and role it is for."""
        voice_call_sid = query.get("call")
        role = query.get("role")
        if not voice_call_sid or not role:
            return None
        call = await self.repo.call(voice_call_sid, lock=True)  # before its leg is written
        if call is None:
            return None
        return await self.repo.ensure_leg(
            carrier_sid, call.sid, role, query.get("worker"), params.get("To", "")
        )

    async def _customer_gone(self, call: Call, status: str) -> None:
        now = utcnow()
        stage = call.stage
        if stage == "ivr":
            call.stage = "ended"
            call.end_reason = call.end_reason or "caller hung up in the IVR"
        elif stage == "queued":
            await self._abandon(call)
        elif stage == "connecting":
            if call.callback_requested or call.direction == "outbound":
                call.end_reason = f"customer leg {status}"
            else:
                call.abandoned = True
                call.end_reason = ABANDON_REASON
            await self._end_agent_legs(call)
            await self._wrap_up(call, call.end_reason or "caller hung up")
        elif stage == "connected":
            call.end_reason = "caller hung up"
            await self._end_agent_legs(call)
            await self._wrap_up(call, "caller hung up")
        else:
            return
        call.ended_at = call.ended_at or now
        await emit(self.session, call, "ended", f"Call {call.sid} ended: {call.end_reason}")

    async def _abandon(self, call: Call) -> None:
        now = utcnow()
        waited = (now - call.queued_at).total_seconds() if call.queued_at else 0.0
        call.stage = "ended"
        call.abandoned = True
        call.short_abandon = waited < self.config.short_abandon_seconds
        call.end_reason = ABANDON_REASON
        if call.task_sid is not None and call.workspace_sid is not None:
            await self.routing.cancel_task(call.workspace_sid, call.task_sid, ABANDON_REASON)
        await emit(
            self.session,
            call,
            "abandoned",
            f"Call {call.sid} abandoned after {waited:.0f} s",
            waited_seconds=round(waited, 1),
            short_abandon=call.short_abandon,
        )

    async def _agent_gone(self, call: Call, leg: CallLeg, status: str) -> None:
        transfer = call.transfer or {}
        if transfer.get("worker_sid") == leg.worker_sid and transfer.get("state") != "done":
            await self.transfer_target_gone(call, leg)
            return
        if leg.worker_sid != call.worker_sid:
            return
        if call.stage == "connecting":
            await self._agent_missed(call, status)
        elif call.stage == "connected" and transfer.get("state") not in ("leaving",):
            call.end_reason = "agent hung up"
            if call.customer_call_sid:
                await self.end_leg(call, call.customer_call_sid)
            await self._wrap_up(call, "agent hung up")
            call.ended_at = utcnow()
            await emit(self.session, call, "ended", f"Call {call.sid} ended by the agent")

    async def _other_gone(self, call: Call, leg: CallLeg) -> None:
        transfer = call.transfer or {}
        if transfer.get("call_sid") == leg.call_sid:
            call.transfer = None
            if call.on_hold:
                await self.set_customer_hold(call, False)
        await emit(self.session, call, "participant_left", f"{leg.role} left call {call.sid}")

    # ------------------------------------------------------------ conference

    async def conference_event(self, params: Mapping[str, str], query: Mapping[str, str]) -> None:
        name = params.get("FriendlyName") or query.get("call") or ""
        call = await self.repo.call(name, lock=True)
        if call is None:
            return
        conference_sid = params.get("ConferenceSid")
        if conference_sid and call.conference_sid != conference_sid:
            call.conference_sid = conference_sid
        event = params.get("StatusCallbackEvent", "")
        leg = await self.repo.leg(params.get("CallSid", "")) if params.get("CallSid") else None
        if leg is None and params.get("CallSid") and event.startswith("participant-"):
            leg = await self._leg_from_label(call, params)
        if leg is None:
            return
        if event == "participant-join":
            if leg.status in FINAL_CALL_STATUSES:
                return  # a late "join" for a leg already gone
            leg.in_conference = True
            await self.participant_joined(call, leg)
        elif event == "participant-leave":
            leg.in_conference = False
        elif event in ("participant-hold", "participant-unhold"):
            leg.on_hold = event == "participant-hold"
            if leg.role == "customer":
                call.on_hold = leg.on_hold
        elif event in ("participant-mute", "participant-unmute"):
            leg.muted = event == "participant-mute"

    async def _leg_from_label(self, call: Call, params: Mapping[str, str]) -> CallLeg | None:
        """A participant's join may come before its call's own status callback."""
        label = params.get("ParticipantLabel") or ""
        role, _, worker = label.partition(":")
        if role not in ("customer", "agent", "consult", "third_party"):
            return None
        leg = await self.repo.ensure_leg(
            params["CallSid"], call.sid, role, worker or None, "", status="in-progress"
        )
        await self.adopt_customer_leg(call, leg)
        return leg

    # ------------------------------------------------------------- recordings

    async def recording_event(self, params: Mapping[str, str], query: Mapping[str, str]) -> None:
        call = await self.repo.call(query.get("call", ""))
        recording_sid = params.get("RecordingSid")
        if call is None or not recording_sid:
            return
        duration = params.get("RecordingDuration")
        recording = await self.keep_recording(
            call,
            recording_sid,
            params.get("RecordingUrl") or None,
            query.get("kind", "call"),
            int(duration) if duration and duration.lstrip("-").isdigit() else None,
        )
        status = params.get("RecordingStatus", "")
        if _recording_rank(status) > _recording_rank(recording.status):
            recording.status = status
        if recording.kind == "call" and status == "in-progress" and call.recording is None:
            call.recording = "on"


def _recording_rank(status: str | None) -> int:
    return {"in-progress": 0, "paused": 0, "stopped": 1, "completed": 2, "absent": 2}.get(
        status or "", -1
    )
