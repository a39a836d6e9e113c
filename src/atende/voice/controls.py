"""What an agent (or a supervisor) does to a call from the desk, through the native API.

Every control is a Twilio REST request queued in the outbox in the same transaction as the
call's new state, so a control is never half done. Transfers go through routing, like any
other work: a transfer creates a task that targets an agent (`target_worker`) or a queue
(`transfer_queue`); when its reservation is accepted the target is dialled into the conference.
- cold: the caller waits on hold; when the target joins, the first agent leaves and wraps up;
- warm: the caller waits on hold while both agents talk; `complete` hands the caller over
  (the first agent leaves), `cancel` drops the target and gives the caller back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import phonenumbers
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from atende.auth.principal import Principal
from atende.conversations.protocol import issue_protocol
from atende.db.base import utcnow
from atende.errors import Problem
from atende.sids import new_sid
from atende.voice.callbacks import CallbackService
from atende.voice.events import emit
from atende.voice.models import Call, CallLeg, VoiceChannel
from atende.voice.service import NoWorkflow

TOKEN_TTL_SECONDS = 3600
LIVE_STAGES = ("connecting", "connected")


def normalise_number(raw: str, region: str = "BR") -> str:
    """E.164, or a Problem naming the number: the carrier would refuse anything else."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise Problem(422, "Invalid phone number", f"to: {raw!r} is not a phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise Problem(422, "Invalid phone number", f"to: {raw!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class CallService(CallbackService):
    # ------------------------------------------------------------- ownership

    async def call_for(self, principal: Principal, call_sid: str) -> Call:
        """A call the principal may act on: an agent only their own; supervisors any."""
        call = await self.repo.call(call_sid, lock=True)
        if call is None:
            raise Problem(404, "Not found", f"no call {call_sid}")
        if principal.role.value in ("supervisor", "admin"):
            return call
        transfer = call.transfer or {}
        mine = principal.worker_sid is not None and principal.worker_sid in (
            call.worker_sid,
            transfer.get("worker_sid"),
        )
        if not mine:
            raise Problem(403, "Forbidden", "agents may only control their own calls")
        return call

    def _require_live(self, call: Call) -> None:
        if call.stage not in LIVE_STAGES or call.conference_sid is None:
            raise Problem(409, "Call not connected", f"call {call.sid} is {call.stage}")

    # ---------------------------------------------------------- hold and mute

    async def hold(self, call: Call, hold: bool) -> Call:
        self._require_live(call)
        await self.set_customer_hold(call, hold)
        await emit(self.session, call, "hold" if hold else "unhold", f"Call {call.sid} hold={hold}")
        return call

    async def mute(self, call: Call, principal: Principal, muted: bool) -> Call:
        self._require_live(call)
        worker = principal.worker_sid or call.worker_sid
        leg = await self._agent_leg(call, worker)
        if leg is None:
            raise Problem(409, "Not in the call", "no agent leg of yours is in this call")
        conference = call.conference_sid or ""
        await self.send(
            call,
            lambda rest: rest.update_participant(conference, leg.call_sid, muted=muted),
            "mute",
        )
        leg.muted = muted
        await emit(self.session, call, "mute" if muted else "unmute", f"Agent muted={muted}")
        return call

    async def _agent_leg(self, call: Call, worker_sid: str | None) -> CallLeg | None:
        for leg in await self.repo.legs(call.sid):
            live = leg.status not in ("completed", "canceled", "failed", "busy", "no-answer")
            if leg.role in ("agent", "consult") and leg.worker_sid == worker_sid and live:
                return leg
        return None

    # -------------------------------------------------------------- transfers

    async def transfer(
        self, call: Call, kind: str, worker_sid: str | None, queue_sid: str | None
    ) -> Call:
        self._require_live(call)
        if call.transfer:
            raise Problem(409, "Transfer under way", "finish or cancel the current transfer")
        if (worker_sid is None) == (queue_sid is None):
            raise Problem(422, "Invalid transfer", "give exactly one of worker_sid or queue_sid")
        if worker_sid is not None and worker_sid == call.worker_sid:
            raise Problem(422, "Invalid transfer", "worker_sid: cannot transfer to yourself")
        target = {"target_worker": worker_sid} if worker_sid else {"transfer_queue": queue_sid}
        keep = {
            k: v for k, v in call.attributes.items() if k not in ("target_worker", "transfer_queue")
        }
        extra = {**keep, **target, "transfer": kind, "transferred_from": call.worker_sid}
        assert call.workspace_sid is not None and call.workflow_sid is not None
        await self._require_route(call.workflow_sid, next(iter(target)))
        task_sid = await self.routing.create_task(
            call.workspace_sid, call.workflow_sid, self._task_attributes(call, extra)
        )
        call.transfer = {
            "kind": kind,
            "task_sid": task_sid,
            "state": "waiting",
            "from_worker": call.worker_sid,
            "to_worker": worker_sid,
            "to_queue": queue_sid,
        }
        await self.set_customer_hold(call, True)
        await emit(self.session, call, "transfer_started", f"{kind} transfer of {call.sid}")
        return call

    async def transfer_target_joined(self, call: Call, leg: CallLeg) -> None:
        transfer = dict(call.transfer or {})
        if transfer.get("kind") == "warm":
            transfer["state"] = "consulting"
            call.transfer = transfer
            await emit(self.session, call, "transfer_consulting", f"Consulting on {call.sid}")
            return
        await self._hand_over(call, transfer)

    async def complete_transfer(self, call: Call) -> Call:
        transfer = dict(call.transfer or {})
        if transfer.get("kind") != "warm" or transfer.get("state") != "consulting":
            raise Problem(409, "No consultation", "there is no warm transfer to complete")
        await self._hand_over(call, transfer)
        return call

    async def _hand_over(self, call: Call, transfer: dict[str, Any]) -> None:
        """The target takes the caller: the first agent leaves and wraps up their task."""
        old_worker, old_task = call.worker_sid, call.task_sid
        leaving = await self._agent_leg(call, old_worker)
        conference = call.conference_sid or ""
        if leaving is not None:
            await self.send(
                call,
                lambda rest: rest.remove_participant(conference, leaving.call_sid),
                "remove_participant",
            )
        if old_task is not None and call.workspace_sid is not None:
            await self.routing.wrap_up_task(call.workspace_sid, old_task, "transferred")
        call.worker_sid = transfer.get("worker_sid")
        call.task_sid = transfer.get("task_sid")
        call.reservation_sid = transfer.get("reservation_sid")
        call.transfer = None
        target_leg = await self._agent_leg(call, call.worker_sid)
        if target_leg is not None:
            target_leg.role = "agent"
        await self.set_customer_hold(call, False)
        await emit(
            self.session,
            call,
            "transferred",
            f"Call {call.sid} transferred from {old_worker} to {call.worker_sid}",
            from_worker=old_worker,
        )

    async def cancel_transfer(self, call: Call) -> Call:
        if not call.transfer:
            raise Problem(409, "No transfer", "there is no transfer to cancel")
        await self._drop_transfer(call, "transfer canceled")
        return call

    async def transfer_target_gone(self, call: Call, leg: CallLeg) -> None:
        await self._drop_transfer(call, "transfer target left")

    async def _drop_transfer(self, call: Call, reason: str) -> None:
        transfer = dict(call.transfer or {})
        call.transfer = None
        task_sid = transfer.get("task_sid")
        if task_sid and call.workspace_sid:
            task = await self.repo.task(task_sid)
            if task is not None and task.assignment_status in ("pending", "reserved"):
                await self.routing.cancel_task(call.workspace_sid, task_sid, reason)
            elif task is not None and task.assignment_status == "assigned":
                await self.routing.complete_task(call.workspace_sid, task_sid, reason)
        target = await self._agent_leg(call, transfer.get("worker_sid"))
        if target is not None and call.conference_sid:
            conference = call.conference_sid
            await self.send(
                call,
                lambda rest: rest.remove_participant(conference, target.call_sid),
                "remove_participant",
            )
        await self.set_customer_hold(call, False)
        await emit(self.session, call, "transfer_canceled", f"{reason} on call {call.sid}")

    async def transfer_task_canceled(self, call: Call, task_sid: str) -> None:
        if (call.transfer or {}).get("task_sid") == task_sid:
            await self._drop_transfer(call, "no agent took the transfer")

    # ------------------------------------------------------------ third party

    async def add_third_party(self, call: Call, number: str) -> Call:
        self._require_live(call)
        to = normalise_number(number)
        await self.send(
            call,
            lambda rest: rest.add_participant(
                call.sid,
                from_=call.company_number,
                to=to,
                label="third_party",
                status_callback=self.urls.status(call.sid, "third_party"),
            ),
            "participant",
        )
        await emit(self.session, call, "third_party_added", f"{to} added to {call.sid}", number=to)
        return call

    # --------------------------------------------------------------- hang up

    async def hang_up(self, call: Call) -> Call:
        if call.stage not in LIVE_STAGES:
            raise Problem(409, "Call not connected", f"call {call.sid} is {call.stage}")
        if call.conference_sid:
            conference = call.conference_sid
            await self.send(call, lambda rest: rest.end_conference(conference), "end_conference")
        elif call.customer_call_sid:
            customer = call.customer_call_sid
            await self.send(call, lambda rest: rest.end_call(customer), "end_call")
        call.end_reason = "agent hung up"
        await self._end_agent_legs(call)
        await self._wrap_up(call, "agent hung up")
        await emit(self.session, call, "ended", f"Call {call.sid} ended by the agent")
        return call

    # -------------------------------------------------------------- recording

    async def set_recording(self, call: Call, paused: bool) -> Call:
        self._require_live(call)
        if call.recording is None:
            raise Problem(409, "Not recording", "this call is not being recorded")
        recordings = [r for r in await self.repo.recordings(call.sid) if r.kind == "call"]
        recording_sid = recordings[-1].sid if recordings else "Twilio.CURRENT"
        conference = call.conference_sid or ""
        status = "paused" if paused else "in-progress"
        await self.send(
            call,
            lambda rest: rest.set_conference_recording(conference, recording_sid, status),
            "recording",
        )
        call.recording = "paused" if paused else "on"
        what = "recording_paused" if paused else "recording_resumed"
        await emit(self.session, call, what, f"Recording of {call.sid} {status}")
        return call

    # ----------------------------------------------------- wrap-up, complete

    async def wrap_up(self, call: Call, disposition: str | None, notes: str | None) -> Call:
        if disposition is not None:
            await self._check_disposition(disposition)
            call.disposition = disposition
        if notes is not None:
            call.notes = notes
        if call.stage in LIVE_STAGES:
            raise Problem(409, "Call still live", "hang up before wrapping up")
        if call.stage != "wrapup":
            call.stage = "wrapup"
            await self._wrap_up(call, "wrap-up")
        await emit(self.session, call, "wrapup", f"Call {call.sid} in wrap-up")
        return call

    async def complete(self, call: Call, disposition: str | None, notes: str | None) -> Call:
        if disposition is not None:
            await self._check_disposition(disposition)
            call.disposition = disposition
        if notes is not None:
            call.notes = notes
        if call.stage in LIVE_STAGES:
            raise Problem(409, "Call still live", "hang up before completing")
        if call.disposition is None:
            raise Problem(422, "Disposition needed", "disposition: choose a wrap-up code first")
        if call.task_sid is not None and call.workspace_sid is not None:
            task = await self.repo.task(call.task_sid)
            if task is not None and task.assignment_status in ("assigned", "wrapping"):
                await self.routing.complete_task(
                    call.workspace_sid, call.task_sid, f"disposition: {call.disposition}"
                )
        call.stage = "ended"
        call.updated_at = utcnow()
        await emit(self.session, call, "completed", f"Call {call.sid} completed")
        return call

    async def dispositions(self) -> list[str]:
        """The desk's configured codes; ATENDE_VOICE_DISPOSITIONS until an admin sets some."""
        return await self.repo.active_dispositions() or list(self.config.dispositions)

    async def _check_disposition(self, disposition: str) -> None:
        choices = await self.dispositions()
        if disposition not in choices:
            listed = ", ".join(choices)
            raise Problem(422, "Unknown disposition", f"disposition: choose one of {listed}")

    # -------------------------------------------------------------- outbound

    async def click_to_call(self, principal: Principal, to: str, channel_sid: str | None) -> Call:
        """The agent's leg rings first, then the customer, from the company's number; the call
        is a task targeted at the agent, so it counts in the agent's capacity."""
        if principal.worker_sid is None:
            raise Problem(403, "Forbidden", "only an agent with a worker can place calls")
        number = normalise_number(to)
        channel = await self._outbound_channel(channel_sid)
        now = utcnow()
        call = Call(
            sid=new_sid("VC"),
            channel_sid=channel.sid,
            direction="outbound",
            customer_number=number,
            company_number=channel.phone_number,
            status="queued",
            stage="queued",
            workspace_sid=channel.workspace_sid,
            workflow_sid=channel.workflow_sid or self.runtime.settings.default_workflow_sid,
            worker_sid=principal.worker_sid,
            attributes={},
            step=0,
            on_hold=False,
            callback_requested=False,
            abandoned=False,
            short_abandon=False,
            created_at=now,
            queued_at=now,
            updated_at=now,
        )
        if call.workflow_sid is None:
            raise Problem(409, "No workflow", "this voice channel routes to no workflow")
        await self._require_route(call.workflow_sid, "target_worker")
        call.protocol = await issue_protocol(self.session, "voice", reference=call.sid, at=now)
        self.session.add(call)
        try:
            await self.create_task(
                call, {"type": "outbound", "target_worker": principal.worker_sid}
            )
        except NoWorkflow as exc:
            raise Problem(409, "No workflow", "this voice channel routes to no workflow") from exc
        await emit(self.session, call, "outbound", f"Agent {principal.worker_sid} calls {number}")
        return call

    async def _require_route(self, workflow_sid: str, attribute: str) -> None:
        """A task aimed at an agent or queue needs a workflow filter on `attribute`; without
        one, routing would hand it to whoever its other filters pick."""
        workflow = await self.repo.workflow(workflow_sid)
        if workflow is None or attribute not in _filter_expressions(workflow.configuration):
            raise Problem(
                409,
                "Workflow cannot target",
                f"workflow {workflow_sid} has no filter on {attribute}; add the filters of "
                "atende.voice.routing.transfer_filters to it",
            )

    async def _outbound_channel(self, channel_sid: str | None) -> VoiceChannel:
        channel = (
            await self.repo.channel(channel_sid) if channel_sid else await self.repo.first_channel()
        )
        if channel is None:
            raise Problem(404, "Not found", "no voice channel to call from")
        return channel

    # ---------------------------------------------------------- access token

    async def access_token(self, principal: Principal, channel_sid: str | None) -> dict[str, Any]:
        """A browser softphone's token: identity from the worker's `client:` contact_uri."""
        if principal.worker_sid is None:
            raise Problem(403, "Forbidden", "only an agent with a worker has a softphone")
        attributes = await self.repo.worker_attributes(principal.worker_sid)
        identity = _client_identity(attributes) or principal.worker_sid
        channel = await self._outbound_channel(channel_sid)
        token = AccessToken(
            channel.account_sid,
            channel.api_key_sid or channel.account_sid,
            channel.api_key_secret or channel.auth_token,
            identity=identity,
            ttl=TOKEN_TTL_SECONDS,
        )
        token.add_grant(
            VoiceGrant(outgoing_application_sid=channel.twiml_app_sid, incoming_allow=True)
        )
        return {"token": token.to_jwt(), "identity": identity, "ttl": TOKEN_TTL_SECONDS}


def _filter_expressions(configuration: str) -> str:
    try:
        document = json.loads(configuration)
        filters = document["task_routing"].get("filters") or []
        return " ".join(str(item.get("expression", "")) for item in filters)
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""


def _client_identity(attributes: Mapping[str, Any]) -> str | None:
    uri = attributes.get("contact_uri")
    if isinstance(uri, str) and uri.startswith("client:"):
        return uri[len("client:") :]
    return None
