"""A simulated Twilio carrier for tests: it places calls to Atende's webhook, follows the TwiML it
gets back, and sends status and conference callbacks signed exactly as Twilio signs them
(`twilio.request_validator.RequestValidator` over the public URL and the POST parameters)."""

from __future__ import annotations

import itertools
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from twilio.request_validator import RequestValidator

from tests.fakes.twilio_api import FakeTwilio, Request

COMPANY_NUMBER = "+551140040000"


def signed_headers(auth_token: str, url: str, params: dict[str, str]) -> dict[str, str]:
    signature = RequestValidator(auth_token).compute_signature(url, params)
    return {"X-Twilio-Signature": signature}


@dataclass
class Carrier:
    client: httpx.AsyncClient
    fake: FakeTwilio
    public_url: str
    sequences: dict[str, itertools.count[int]] = field(default_factory=dict)
    # A conference's status callback, as the caller's <Conference> TwiML gave it.
    conference_callbacks: dict[str, str] = field(default_factory=dict)

    async def post(self, url: str, params: dict[str, str], *, sign: bool = True) -> httpx.Response:
        """POST a form to an absolute public URL, as Twilio would."""
        params = {"AccountSid": self.fake.account_sid, **params}
        headers = signed_headers(self.fake.auth_token, url, params) if sign else {}
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return await self.client.post(target, data=params, headers=headers)

    async def dial_in(self, from_: str = "+5511987654321", to: str = COMPANY_NUMBER) -> Caller:
        call = self.fake.add_call(to=to, from_=from_)
        caller = Caller(self, call["sid"], from_, to)
        caller.twiml = await caller.request(f"{self.public_url}/webhooks/twilio/voice", {})
        return caller

    # ------------------------------------------------------------ conferences

    def _sequence(self, conference_sid: str) -> int:
        return next(self.sequences.setdefault(conference_sid, itertools.count(1)))

    async def conference_event(
        self, name: str, event: str, call_sid: str, label: str | None = None, **extra: str
    ) -> httpx.Response:
        conference = self.fake.add_conference(name)
        params = {
            "ConferenceSid": conference["sid"],
            "FriendlyName": name,
            "StatusCallbackEvent": event,
            "CallSid": call_sid,
            "SequenceNumber": str(self._sequence(conference["sid"])),
            "Timestamp": "Mon, 23 Nov 2026 13:00:00 +0000",
            **({"ParticipantLabel": label} if label else {}),
            **extra,
        }
        return await self.post(self.conference_callbacks[name], params)

    # ------------------------------------------------------ legs Atende dialled

    async def call_status(self, request: Request, status: str) -> httpx.Response:
        """A status callback for a call Atende created (participant or outbound call)."""
        callback = request.value("StatusCallback") or ""
        call_sid = self.call_sid_of(request)
        self.fake.calls[call_sid]["status"] = status
        params = {
            "CallSid": call_sid,
            "CallStatus": status,
            "To": request.value("To") or "",
            "From": request.value("From") or "",
            "Direction": "outbound-api",
        }
        return await self.post(callback, params)

    def call_sid_of(self, request: Request) -> str:
        for sid, options in self.fake.call_options.items():
            if options is request.form:
                return sid
        raise LookupError("the fake did not create a call for this request")

    async def answer_participant(self, request: Request) -> str:
        """Ring, answer and join the conference a participant was added to."""
        call_sid = self.call_sid_of(request)
        await self.call_status(request, "ringing")
        await self.call_status(request, "in-progress")
        name = self.conference_name_of(request)
        await self.conference_event(name, "participant-join", call_sid, request.value("Label"))
        return call_sid

    def conference_name_of(self, request: Request) -> str:
        reference = request.path.split("/Conferences/")[1].split("/")[0]
        conference = self.fake.conferences.get(reference)
        return conference["friendly_name"] if conference else reference

    async def answer_outbound(self, request: Request) -> Caller:
        """Answer a call Atende placed with a Url (an agent's leg of a callback)."""
        call_sid = self.call_sid_of(request)
        await self.call_status(request, "ringing")
        await self.call_status(request, "in-progress")
        caller = Caller(self, call_sid, request.value("From") or "", request.value("To") or "")
        caller.twiml = await caller.request(request.value("Url") or "", {})
        return caller


@dataclass
class Caller:
    """One call as the carrier sees it, with the TwiML it is executing."""

    carrier: Carrier
    call_sid: str
    from_: str
    to: str
    twiml: ET.Element | None = None
    status: str = "ringing"

    def params(self) -> dict[str, str]:
        return {
            "CallSid": self.call_sid,
            "From": self.from_,
            "To": self.to,
            "CallStatus": self.status,
            "Direction": "inbound",
        }

    async def request(self, url: str, extra: dict[str, str]) -> ET.Element:
        response = await self.carrier.post(url, {**self.params(), **extra})
        assert response.status_code == 200, response.text
        return ET.fromstring(response.text)

    # -------------------------------------------------------------- reading

    def said(self) -> list[str]:
        assert self.twiml is not None
        return [element.text or "" for element in self.twiml.iter("Say")]

    def gather(self) -> ET.Element | None:
        assert self.twiml is not None
        return next(self.twiml.iter("Gather"), None)

    def conference(self) -> ET.Element | None:
        assert self.twiml is not None
        return next(self.twiml.iter("Conference"), None)

    def has(self, verb: str) -> bool:
        return self.twiml is not None and next(self.twiml.iter(verb), None) is not None

    # --------------------------------------------------------------- acting

    async def press(self, digits: str) -> ET.Element:
        gather = self.gather()
        assert gather is not None, "nothing is waiting for digits"
        self.twiml = await self.request(gather.attrib["action"], {"Digits": digits})
        return self.twiml

    async def stay_silent(self) -> ET.Element:
        return await self.press("")

    async def record(self, seconds: int = 12) -> ET.Element:
        assert self.twiml is not None
        record = next(self.twiml.iter("Record"))
        recording_sid = "RE" + secrets.token_hex(16)
        params = {
            "RecordingSid": recording_sid,
            "RecordingUrl": f"https://api.twilio.com/recordings/{recording_sid}",
            "RecordingDuration": str(seconds),
        }
        self.twiml = await self.request(record.attrib["action"], params)
        return self.twiml

    async def enter_conference(self) -> str:
        """Dial into the <Conference> of the current TwiML; returns the conference name."""
        conference = self.conference()
        assert conference is not None, "the TwiML puts the caller in no conference"
        name = (conference.text or "").strip()
        self.carrier.conference_callbacks[name] = conference.attrib["statusCallback"]
        self.status = "in-progress"
        await self.carrier.conference_event(name, "participant-join", self.call_sid)
        return name

    async def hear_waiting_room(self) -> list[str]:
        conference = self.conference()
        assert conference is not None
        room = await self.request(conference.attrib["waitUrl"], {})
        return [element.text or "" for element in room.iter("Say")]

    async def hang_up(self, status: str = "completed") -> httpx.Response:
        self.status = status
        url = f"{self.carrier.public_url}/webhooks/twilio/voice/status"
        return await self.carrier.post(url, self.params())
