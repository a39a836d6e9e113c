"""Inbound calls: the IVR, the hand-off to routing and the waiting room.

A call arrives (webhook stored first by the API layer), gets a protocol number and runs its
channel's flow; every reply is TwiML. At the flow's hand-off a `voice` task is created and the
caller is offered to keep their place and be called back, then waits in a conference named after
the call, hearing their position and expected wait, until an agent joins."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from atende.channels.twilio_voice_twiml import (
    ConferenceJoin,
    join_conference,
    offer_callback,
    render_flow,
    say_and_hang_up,
    twiml_text,
    waiting_room,
)
from atende.conversations.protocol import issue_protocol
from atende.db.base import utcnow
from atende.flows import actions as act
from atende.flows.default import default_flow
from atende.flows.interpreter import FlowState, Step
from atende.flows.loader import load_flow
from atende.flows.model import Flow, HttpLookup
from atende.flows.runner import FlowRunner, LookupAnswers
from atende.runtime import Runtime
from atende.sids import new_sid
from atende.voice import contacts
from atende.voice.context import VoiceContext
from atende.voice.events import emit
from atende.voice.models import Call, CallLeg, Recording, VoiceChannel
from atende.voice.repository import VoiceRepository
from atende.voice.texts import text

PHONE_NUMBER = re.compile(r"^\+\d{8,15}$")


class NoWorkflow(LookupError):
    """A channel routed nowhere: no workflow on it and no default workflow configured."""


def flow_for(runtime_flows: dict[tuple[str, str], Flow], channel: VoiceChannel) -> Flow:
    """The channel's flow, parsed once per version of the channel."""
    key = (channel.sid, channel.updated_at.isoformat())
    flow = runtime_flows.get(key)
    if flow is None:
        document = channel.flow or default_flow("voice", channel.crm_lookup_url)
        flow = runtime_flows[key] = load_flow(document)
    return flow


def inbound_state(channel: VoiceChannel, params: Mapping[str, str], protocol: str) -> FlowState:
    """Where a new call's flow starts: what the carrier told us, and its protocol number."""
    return FlowState.begin(
        {
            "protocol": protocol,
            "call_sid": params["CallSid"],
            "from": params.get("From", ""),
            "to": params.get("To") or channel.phone_number,
            "direction": "inbound",
            "channel": "voice",
        },
        language=channel.language,
    )


async def inbound_lookups(
    runtime: Runtime, channel: VoiceChannel, params: Mapping[str, str]
) -> LookupAnswers:
    """The CRM lookups a new call's flow makes before it waits for the caller, made before the
    webhook's transaction (and the writer's turn) so that a slow CRM holds up only its call."""
    if "CallSid" not in params:
        return {}
    runner: FlowRunner = runtime.services["voice.flow_runner"]
    flow = flow_for(runtime.services["voice.flows"], channel)
    return await runner.prefetch(flow, inbound_state(channel, params, ""), act.Start())


def gather_input(call: Call, step_number: int, params: Mapping[str, str]) -> act.Input:
    """What a caller's answer to the call's current menu or question means to the flow."""
    if step_number != call.step:
        return act.Start()  # a stale form: say again what we wait for
    digits = (params.get("Digits") or "").strip()
    return act.Reply(digits) if digits else act.NoReply()


def _looks_up(flow: Flow) -> bool:
    return any(isinstance(node, HttpLookup) for node in flow.nodes.values())


async def gather_lookups(
    runtime: Runtime,
    channel: VoiceChannel,
    call_sid: str,
    step_number: int,
    params: Mapping[str, str],
) -> LookupAnswers:
    """The CRM lookups a caller's answer leads to, made before the webhook's transaction from
    the call as last committed (a short read of its own), so that the transaction, which holds
    the call and the workspace, never waits on somebody else's server. Twilio posts an answer
    once per step (a retry is answered from the stored reply), so the call seen here is the
    one the transaction will see."""
    flows: dict[tuple[str, str], Flow] = runtime.services["voice.flows"]
    if not _looks_up(flow_for(flows, channel)):
        return {}
    async with runtime.sessions() as session:
        repo = VoiceRepository(session)
        call = await repo.call(call_sid)
        if call is None or call.stage != "ivr" or call.flow_state is None:
            return {}
        if call.channel_sid != channel.sid:
            found = await repo.channel(call.channel_sid)
            if found is None:
                return {}
            channel = found
        state = FlowState.from_dict(call.flow_state)
        given = gather_input(call, step_number, params)
    runner: FlowRunner = runtime.services["voice.flow_runner"]
    return await runner.prefetch(flow_for(flows, channel), state, given)


class VoiceService(VoiceContext):
    """Inbound calls through the flow to the queue."""

    lookups: LookupAnswers | None = None
    """Lookups made ahead of the transaction (`inbound_lookups`), used instead of asking again."""

    @property
    def runner(self) -> FlowRunner:
        runner: FlowRunner = self.runtime.services["voice.flow_runner"]
        return runner

    def flow(self, channel: VoiceChannel) -> Flow:
        return flow_for(self.runtime.services["voice.flows"], channel)

    # ----------------------------------------------------------------- arrival

    async def inbound(self, channel: VoiceChannel, params: Mapping[str, str]) -> str:
        """A new call (the webhook's key, its CallSid, made sure it is new)."""
        carrier_sid = params["CallSid"]
        now = utcnow()
        call = Call(
            sid=new_sid("VC"),
            channel_sid=channel.sid,
            direction="inbound",
            customer_call_sid=carrier_sid,
            customer_number=params.get("From", ""),
            company_number=params.get("To") or channel.phone_number,
            status=params.get("CallStatus") or "ringing",
            stage="ivr",
            workspace_sid=channel.workspace_sid,
            workflow_sid=channel.workflow_sid or self.runtime.settings.default_workflow_sid,
            attributes={},
            step=0,
            on_hold=False,
            callback_requested=False,
            abandoned=False,
            short_abandon=False,
            created_at=now,
            updated_at=now,
        )
        call.protocol = await issue_protocol(self.session, "voice", call.sid, now)
        # The caller's contact from the start: a call that ends in the menu is in their history.
        call.contact_sid = await contacts.contact_sid(self.session, call.customer_number)
        customer = CallLeg(
            call_sid=carrier_sid,
            voice_call_sid=call.sid,
            role="customer",
            address=call.customer_number,
            status=call.status,
            in_conference=False,
            on_hold=False,
            muted=False,
        )
        state = inbound_state(channel, params, call.protocol)
        step = await self.runner.advance(self.flow(channel), state, act.Start(), self.lookups)
        reply = await self._continue(call, channel, step)
        # Written last, so the call is inserted once with its final state.
        await self.repo.insert_new_call(call, customer)
        return reply

    async def _replay(self, call: Call, channel: VoiceChannel) -> str:
        if call.stage == "ivr" and call.flow_state is not None:
            state = FlowState.from_dict(call.flow_state)
            step = await self.runner.advance(self.flow(channel), state, act.Start(), self.lookups)
            return await self._continue(call, channel, step)
        if call.stage == "queued":
            return twiml_text(self._join_as_customer(call, channel, VoiceResponse()))
        return twiml_text(say_and_hang_up(None, language=channel.language))

    # --------------------------------------------------------------- the flow

    async def gather(self, call: Call, step_number: int, params: Mapping[str, str]) -> str:
        channel = await self.channel_of(call)
        if call.stage != "ivr" or call.flow_state is None:
            return await self._replay(call, channel)
        state = FlowState.from_dict(call.flow_state)
        given = gather_input(call, step_number, params)
        step = await self.runner.advance(self.flow(channel), state, given, self.lookups)
        return await self._continue(call, channel, step)

    async def recorded(self, call: Call, params: Mapping[str, str]) -> str:
        """The caller left a voicemail (out of hours): keep it and file a callback with it."""
        channel = await self.channel_of(call)
        url = params.get("RecordingUrl") or None
        seconds = int(params.get("RecordingDuration") or 0)
        if params.get("RecordingSid"):
            await self.keep_recording(call, params["RecordingSid"], url, "voicemail", seconds)
        if call.stage != "ivr" or call.flow_state is None:
            return await self._replay(call, channel)
        state = FlowState.from_dict(call.flow_state)
        step = await self.runner.advance(
            self.flow(channel), state, act.Recorded(url, seconds), self.lookups
        )
        if url and call.task_sid is None:
            attributes = {**step.state.attributes, "type": "voicemail", "voicemail_url": url}
            await self._file_callback(call, attributes)
        return await self._continue(call, channel, step)

    async def _continue(self, call: Call, channel: VoiceChannel, step: Step) -> str:
        call.flow_state = step.state.to_dict()
        call.step += 1
        call.updated_at = utcnow()
        response = VoiceResponse()
        shown: list[act.Action] = []
        handoff: act.Handoff | None = None
        for action in step.actions:
            if isinstance(action, act.RequestCallback):
                await self._file_callback(call, action.attributes)
            elif isinstance(action, act.Handoff):
                handoff = action
            else:
                shown.append(action)
        render_flow(
            response,
            shown,
            language=channel.language,
            gather_url=self.urls.gather(call.sid, call.step),
            record_url=self.urls.recorded(call.sid, call.step),
            recording_callback_url=self.urls.recording(call.sid, "voicemail"),
        )
        if handoff is not None:
            await self._hand_off(call, channel, handoff, response)
        elif step.state.finished and not any(isinstance(a, act.Hangup) for a in shown):
            response.hangup()
        return twiml_text(response)

    # --------------------------------------------------------------- hand-off

    def _task_attributes(self, call: Call, extra: Mapping[str, Any]) -> dict[str, Any]:
        inbound = call.direction == "inbound"
        return {
            **extra,
            "type": extra.get("type", "inbound" if inbound else "outbound"),
            "channel": "voice",
            "call_sid": call.customer_call_sid,
            "voice_call_sid": call.sid,
            "conference": call.sid,
            "from": call.customer_number if inbound else call.company_number,
            "to": call.company_number if inbound else call.customer_number,
            "customer_number": call.customer_number,
            "direction": call.direction,
            "protocol": call.protocol,
            **({"contact_sid": call.contact_sid} if call.contact_sid else {}),
        }

    async def create_task(
        self, call: Call, extra: Mapping[str, Any], priority: int | None = None
    ) -> str:
        workflow_sid = call.workflow_sid or self.runtime.settings.default_workflow_sid
        if workflow_sid is None:
            raise NoWorkflow(call.channel_sid)
        if call.workspace_sid is None:
            workflow = await self.repo.workflow(workflow_sid)
            if workflow is None:
                raise NoWorkflow(workflow_sid)
            call.workspace_sid = workflow.workspace_sid
        call.workflow_sid = workflow_sid
        if call.contact_sid is None:
            call.contact_sid = await contacts.contact_sid(self.session, call.customer_number)
        attributes = self._task_attributes(call, extra)
        task_sid = await self.routing.create_task(
            call.workspace_sid, workflow_sid, attributes, priority=priority
        )
        call.task_sid = task_sid
        call.attributes = attributes
        return task_sid

    async def _hand_off(
        self, call: Call, channel: VoiceChannel, handoff: act.Handoff, response: VoiceResponse
    ) -> None:
        if handoff.workflow_sid:
            call.workflow_sid = handoff.workflow_sid
        try:
            await self.create_task(call, handoff.attributes, handoff.priority)
        except NoWorkflow:
            call.stage = "ended"
            call.end_reason = "no workflow for this channel"
            response.say(text("no_route", channel.language), language=channel.language)
            response.hangup()
            return
        now = utcnow()
        call.stage = "queued"
        call.queued_at = now
        await emit(self.session, call, "queued", f"Call {call.sid} waiting for an agent")
        if PHONE_NUMBER.match(call.customer_number):
            offer_callback(
                response,
                text("callback_offer", channel.language),
                language=channel.language,
                action_url=self.urls.callback_offer(call.sid, call.step),
            )
        self._join_as_customer(call, channel, response)

    def _join_as_customer(
        self, call: Call, channel: VoiceChannel, response: VoiceResponse
    ) -> VoiceResponse:
        return join_conference(
            response,
            ConferenceJoin(
                name=call.sid,
                status_callback=self.urls.conference(call.sid),
                wait_url=self.urls.wait(call.sid),
                start_on_enter=False,
                end_on_exit=True,
                record=channel.record_calls,
                recording_callback=self.urls.recording(call.sid),
            ),
        )

    async def callback_offer(self, call: Call, params: Mapping[str, str]) -> str:
        """The caller's answer to "press 1 to keep your place": 1 hangs up and keeps the task."""
        channel = await self.channel_of(call)
        if (params.get("Digits") or "").strip() != "1" or call.stage != "queued":
            return twiml_text(self._join_as_customer(call, channel, VoiceResponse()))
        call.stage = "callback"
        call.callback_requested = True
        call.attributes = {**call.attributes, "callback": True}
        if call.task_sid is not None and call.workspace_sid is not None:
            await self.routing.update_attributes(call.workspace_sid, call.task_sid, call.attributes)
        await emit(self.session, call, "callback_requested", f"Call {call.sid} asked for callback")
        return twiml_text(
            say_and_hang_up(text("callback_confirmed", channel.language), language=channel.language)
        )

    async def _file_callback(self, call: Call, attributes: Mapping[str, Any]) -> None:
        """Out of hours: a task that, when an agent takes it, calls the agent then the caller."""
        if call.task_sid is not None:
            return
        extra = {**attributes, "type": attributes.get("type", "callback"), "callback": True}
        try:
            await self.create_task(call, extra)
        except NoWorkflow:
            call.end_reason = "callback requested but no workflow"
            return
        call.callback_requested = True
        call.stage = "callback"
        call.queued_at = utcnow()
        await emit(self.session, call, "callback_requested", f"Call {call.sid} asked for callback")

    # ---------------------------------------------------------- waiting room

    async def waiting_room(self, call: Call) -> str:
        channel = await self.channel_of(call)
        texts: list[str] = []
        task = None if call.task_sid is None else await self.repo.task(call.task_sid)
        if task is not None and task.assignment_status in ("pending", "reserved"):
            position = await self.repo.queue_position(task)
            minutes = await self._expected_wait_minutes(call, position)
            texts.append(text("position", channel.language, position=position, minutes=minutes))
        else:
            texts.append(text("connecting", channel.language))
        return twiml_text(
            waiting_room(texts, language=channel.language, music_url=self.config.hold_music_url)
        )

    async def _expected_wait_minutes(self, call: Call, position: int) -> int:
        """Position × average talk time ÷ agents available: rough, and said as rough."""
        talk = await self.repo.average_talk_seconds(timedelta(hours=2))
        seconds = talk if talk is not None else float(self.config.average_handle_seconds)
        agents = 1
        if call.workspace_sid is not None:
            agents = max(1, await self.repo.available_workers(call.workspace_sid))
        return max(1, math.ceil(position * seconds / agents / 60))

    def hold_music(self) -> str:
        return twiml_text(waiting_room([], language="pt-BR", music_url=self.config.hold_music_url))

    # ------------------------------------------------------------- recordings

    async def delete_recording(self, call: Call, recording_sid: str) -> None:
        await self.send(call, lambda rest: rest.delete_recording(recording_sid), "delete")

    async def keep_recording(
        self, call: Call, recording_sid: str, url: str | None, kind: str, seconds: int | None
    ) -> Recording:
        recording = await self.repo.recording(recording_sid)
        if recording is None:
            now = utcnow()
            recording = Recording(
                sid=recording_sid,
                voice_call_sid=call.sid,
                kind=kind,
                created_at=now,
                retain_until=now + timedelta(days=self.config.recording_retention_days),
            )
            self.session.add(recording)
        if url:
            recording.url = url
        if seconds is not None:
            recording.duration = seconds
        return recording
