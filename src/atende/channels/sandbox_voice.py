"""A sandbox carrier for voice: the demo's and the simulator's phone network, with no Twilio.

It plays both sides Twilio plays for Atende, over HTTP, so calls go through exactly the code a
real carrier exercises:
- toward Atende, it sends signed webhooks (RequestValidator, the channel's auth token, the public
  URL) and follows the TwiML it gets back: menus, the callback offer, the conference;
- from Atende, it answers the REST requests the outbox sends to the channel's base URL
  (`<public URL>/sandbox/twilio`): agents dialled into conferences ring and answer, calls end,
  holds and mutes are reported back as conference events.

`SandboxCallers` makes customers: arrivals at a rate, a menu choice drawn from a mix, patience
(they hang up if nobody answers in time) and talk time (they hang up after talking)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)

RING_SECONDS = (0.5, 2.0)


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class Leg:
    sid: str
    to: str
    from_: str
    label: str
    status_callback: str | None
    conference: str | None = None
    end_conference_on_exit: bool = False
    status: str = "queued"
    url: str | None = None


@dataclass
class Conference:
    name: str
    sid: str
    status_callback: str | None = None
    members: set[str] = field(default_factory=set)
    sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    agent_joined: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False


class SandboxCarrier:
    """The phone network behind one sandbox channel's account."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        http: httpx.AsyncClient,
        rng: random.Random | None = None,
        talk_seconds: Callable[[], float] | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.http = http
        self.rng = rng or random.Random()
        self.talk_seconds = talk_seconds or (lambda: self.rng.expovariate(1 / 60))
        self.legs: dict[str, Leg] = {}
        self.conferences: dict[str, Conference] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------ webhooks out

    async def post(self, url: str, params: Mapping[str, str]) -> httpx.Response:
        form = {"AccountSid": self.account_sid, **params}
        signature = RequestValidator(self.auth_token).compute_signature(url, form)
        return await self.http.post(url, data=form, headers={"X-Twilio-Signature": signature})

    def later(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("sandbox carrier step failed: %s", task.exception())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    # ------------------------------------------------------------- conference

    def conference(self, name: str) -> Conference:
        found = self.conferences.get(name)
        if found is None or found.ended:
            found = self.conferences[name] = Conference(name=name, sid=_sid("CF"))
        return found

    def _by_sid(self, sid: str) -> Conference | None:
        for conference in self.conferences.values():
            if conference.sid == sid or conference.name == sid:
                return conference
        return None

    async def conference_event(
        self, conference: Conference, event: str, leg: Leg, **extra: str
    ) -> None:
        if conference.status_callback is None:
            return
        params = {
            "ConferenceSid": conference.sid,
            "FriendlyName": conference.name,
            "StatusCallbackEvent": event,
            "CallSid": leg.sid,
            "SequenceNumber": str(next(conference.sequence)),
            "ParticipantLabel": leg.label,
            **extra,
        }
        await self.post(conference.status_callback, params)

    async def join(self, leg: Leg, name: str, status_callback: str | None) -> None:
        conference = self.conference(name)
        if status_callback:
            conference.status_callback = status_callback
        leg.conference = name
        conference.members.add(leg.sid)
        await self.conference_event(conference, "participant-join", leg)
        if leg.label.startswith(("agent", "consult")):
            conference.agent_joined.set()

    async def leave(self, leg: Leg) -> None:
        conference = self.conferences.get(leg.conference or "")
        if conference is None or leg.sid not in conference.members:
            return
        conference.members.discard(leg.sid)
        await self.conference_event(conference, "participant-leave", leg)
        if leg.end_conference_on_exit and not conference.ended:
            await self.end_conference(conference)

    async def end_conference(self, conference: Conference) -> None:
        conference.ended = True
        for sid in list(conference.members):
            leg = self.legs.get(sid)
            if leg is not None:
                await self.end_leg(leg)

    # ------------------------------------------------------------------- legs

    async def status(self, leg: Leg, status: str) -> None:
        leg.status = status
        if leg.status_callback:
            params = {"CallSid": leg.sid, "CallStatus": status, "To": leg.to, "From": leg.from_}
            await self.post(leg.status_callback, params)

    async def end_leg(self, leg: Leg, status: str = "completed") -> None:
        if leg.status in ("completed", "busy", "failed", "no-answer", "canceled"):
            return
        leg.status = status
        await self.leave(leg)
        await self.status(leg, status)

    async def _ring_and_join(self, leg: Leg, conference_callback: str | None) -> None:
        await asyncio.sleep(self.rng.uniform(*RING_SECONDS))
        await self.status(leg, "ringing")
        await self.status(leg, "in-progress")
        await self.join(leg, leg.conference or "", conference_callback)
        if leg.label == "customer":
            # A customer called back talks, then hangs up.
            await asyncio.sleep(self.talk_seconds())
            await self.end_leg(leg)

    async def _ring_and_fetch(self, leg: Leg) -> None:
        await asyncio.sleep(self.rng.uniform(*RING_SECONDS))
        await self.status(leg, "ringing")
        await self.status(leg, "in-progress")
        params = {"CallSid": leg.sid, "CallStatus": "in-progress", "To": leg.to, "From": leg.from_}
        response = await self.post(leg.url or "", params)
        conference = next(ET.fromstring(response.text).iter("Conference"), None)
        if conference is not None:
            await self.join(leg, (conference.text or "").strip(), conference.get("statusCallback"))

    # ---------------------------------------------------------------- REST in

    def authorised(self, account_sid: str, user: str, password: str) -> bool:
        return account_sid == user == self.account_sid and password == self.auth_token

    async def rest(self, method: str, path: str, body: str) -> tuple[int, dict[str, Any] | None]:
        """Twilio's REST API for the paths voice uses; `path` starts after the account."""
        form = {key: values[0] for key, values in parse_qs(body).items()}
        parts = [part for part in path.removesuffix(".json").split("/") if part]
        if parts == ["Calls"] and method == "POST":
            return 201, self._create_call(form)
        if len(parts) == 2 and parts[0] == "Calls" and method == "POST":
            return self._update_call(parts[1], form)
        if len(parts) == 2 and parts[0] == "Conferences" and method == "POST":
            conference = self._by_sid(parts[1])
            if conference is not None and form.get("Status") == "completed":
                self.later(self.end_conference(conference))
            return 200, {"sid": parts[1], "status": form.get("Status", "in-progress")}
        if len(parts) == 3 and parts[2] == "Participants" and method == "POST":
            return 201, self._add_participant(parts[1], form)
        if len(parts) == 4 and parts[2] == "Participants":
            return self._participant(method, parts[1], parts[3], form)
        if "Recordings" in parts:
            return (204, None) if method == "DELETE" else (200, {"sid": parts[-1], **form})
        return 404, {"code": 20404, "message": "not found", "status": 404}

    def _create_call(self, form: Mapping[str, str]) -> dict[str, Any]:
        leg = Leg(
            sid=_sid("CA"),
            to=form.get("To", ""),
            from_=form.get("From", ""),
            label="agent",
            status_callback=form.get("StatusCallback"),
            url=form.get("Url"),
        )
        self.legs[leg.sid] = leg
        self.later(self._ring_and_fetch(leg))
        return {"sid": leg.sid, "to": leg.to, "from": leg.from_, "status": "queued"}

    def _update_call(self, sid: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any] | None]:
        leg = self.legs.get(sid)
        if leg is None:
            return 404, {"code": 20404, "message": f"no call {sid}", "status": 404}
        if form.get("Status") in ("completed", "canceled") or form.get("Url"):
            self.later(self.end_leg(leg))
        return 200, {"sid": sid, "status": leg.status}

    def _add_participant(self, reference: str, form: Mapping[str, str]) -> dict[str, Any]:
        conference = self._by_sid(reference) or self.conference(reference)
        leg = Leg(
            sid=_sid("CA"),
            to=form.get("To", ""),
            from_=form.get("From", ""),
            label=form.get("Label", ""),
            status_callback=form.get("StatusCallback"),
            conference=conference.name,
            end_conference_on_exit=form.get("EndConferenceOnExit") == "true",
        )
        self.legs[leg.sid] = leg
        self.later(self._ring_and_join(leg, form.get("ConferenceStatusCallback")))
        return {"call_sid": leg.sid, "conference_sid": conference.sid, "label": leg.label}

    def _participant(
        self, method: str, conference_ref: str, sid: str, form: Mapping[str, str]
    ) -> tuple[int, dict[str, Any] | None]:
        leg = self.legs.get(sid)
        conference = self._by_sid(conference_ref)
        if leg is None or conference is None:
            return 404, {"code": 20404, "message": "participant not found", "status": 404}
        if method == "DELETE":
            self.later(self.end_leg(leg))
            return 204, None
        if "Hold" in form:
            event = "participant-hold" if form["Hold"] == "true" else "participant-unhold"
            self.later(self.conference_event(conference, event, leg))
        if "Muted" in form:
            event = "participant-mute" if form["Muted"] == "true" else "participant-unmute"
            self.later(self.conference_event(conference, event, leg))
        return 200, {"call_sid": sid, "conference_sid": conference.sid}


@dataclass(frozen=True)
class CallerMix:
    """Who calls: arrivals per minute, the menu digit mix, patience and talk time (seconds)."""

    calls_per_minute: float = 2.0
    digits: Sequence[tuple[str, float]] = (
        ("1", 6),
        ("2", 2),
        ("3", 2),
        ("4", 4),
        ("5", 3),
        ("6", 2),
        ("7", 1),
    )
    mean_patience: float = 120.0
    mean_talk: float = 90.0
    callback_share: float = 0.1


class SandboxCallers:
    """Customers phoning the sandbox channel's number, through Atende's public webhooks."""

    def __init__(
        self,
        carrier: SandboxCarrier,
        public_url: str,
        company_number: str,
        mix: CallerMix | None = None,
    ) -> None:
        self.carrier = carrier
        self.public_url = public_url.rstrip("/")
        self.company_number = company_number
        self.mix = mix or CallerMix()
        self.rng = carrier.rng
        carrier.talk_seconds = lambda: self.rng.expovariate(1 / self.mix.mean_talk)

    def _number(self) -> str:
        return f"+55119{self.rng.randrange(10**7, 10**8)}"

    def _digit(self) -> str:
        digits, weights = zip(*self.mix.digits, strict=True)
        return self.rng.choices(digits, weights)[0]

    async def run(self, limit: int | None = None) -> None:
        """Place calls for ever (or `limit` of them), each on its own."""
        for placed in itertools.count():
            if limit is not None and placed >= limit:
                return
            await asyncio.sleep(self.rng.expovariate(self.mix.calls_per_minute / 60))
            self.carrier.later(self.call())

    async def call(self) -> None:
        leg = Leg(
            sid=_sid("CA"),
            to=self.company_number,
            from_=self._number(),
            label="customer",
            status_callback=f"{self.public_url}/webhooks/twilio/voice/status",
            end_conference_on_exit=True,
            status="ringing",
        )
        self.carrier.legs[leg.sid] = leg
        twiml = await self._request(f"{self.public_url}/webhooks/twilio/voice", leg, {})
        while twiml is not None:
            gather = next(twiml.iter("Gather"), None)
            conference = next(twiml.iter("Conference"), None)
            if conference is not None and gather is None:
                await self._wait_in_conference(leg, conference)
                return
            if gather is None:
                await self.carrier.end_leg(leg)
                return
            digits = self._answer(gather)
            twiml = await self._request(gather.attrib["action"], leg, {"Digits": digits})

    def _answer(self, gather: ET.Element) -> str:
        prompt = "".join(gather.itertext())
        if "callback" in gather.attrib["action"]:
            return "1" if self.rng.random() < self.mix.callback_share else ""
        return self._digit() if "1" in prompt else "1"

    async def _request(self, url: str, leg: Leg, extra: Mapping[str, str]) -> ET.Element | None:
        params = {
            "CallSid": leg.sid,
            "CallStatus": "in-progress",
            "From": leg.from_,
            "To": leg.to,
            "Direction": "inbound",
            **extra,
        }
        response = await self.carrier.post(url, params)
        if response.status_code != 200:
            log.warning("sandbox call got HTTP %s from %s", response.status_code, url)
            return None
        return ET.fromstring(response.text)

    async def _wait_in_conference(self, leg: Leg, element: ET.Element) -> None:
        name = (element.text or "").strip()
        await self.carrier.join(leg, name, element.get("statusCallback"))
        conference = self.carrier.conference(name)
        patience = self.rng.expovariate(1 / self.mix.mean_patience)
        try:
            await asyncio.wait_for(conference.agent_joined.wait(), patience)
        except TimeoutError:
            await self.carrier.end_leg(leg)  # gave up waiting: an abandon
            return
        await asyncio.sleep(self.carrier.talk_seconds())
        await self.carrier.end_leg(leg)
