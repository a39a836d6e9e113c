"""A local fake of Twilio's REST API for voice (Calls, Conferences and Participants, Recordings).

It runs as a real HTTP server in a thread and speaks Twilio's wire format: form-encoded requests
with HTTP Basic auth (the account SID and auth token), JSON resources shaped by the 2010-04-01
OpenAPI description in `shared/reference/twilio_api_v2010.json`, Twilio's error body. It checks
every request against that description: an unknown path, a parameter the operation does not
declare, or a missing required one is refused as Twilio would (404 / 400), so Atende cannot
drift from the real API unnoticed. Every request is recorded for tests to assert on, and
listeners can act on them (e.g. a simulated carrier answering a participant it was asked to
dial)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "reference" / "twilio_api_v2010.json"
if not SPEC_PATH.exists():  # the repository checked out alone
    SPEC_PATH = Path("/work/shared/reference/twilio_api_v2010.json")
VOICE_PATHS = ("/Calls", "/Conferences", "/Recordings")


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    pattern: re.Pattern[str]
    parameters: frozenset[str]
    required: frozenset[str]
    schema: str | None


def _load_operations() -> list[Operation]:
    spec = json.loads(SPEC_PATH.read_text())
    operations = []
    for template, item in spec["paths"].items():
        if not any(part in template for part in VOICE_PATHS):
            continue
        regex = (
            "^"
            + re.sub(
                r"\{[A-Za-z]+\}",
                r"([^/]+)",
                re.escape(template).replace(r"\{", "{").replace(r"\}", "}"),
            )
            + "$"
        )
        for method in ("get", "post", "delete"):
            operation = item.get(method)
            if operation is None:
                continue
            form = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/x-www-form-urlencoded", {})
                .get("schema", {})
            )
            operations.append(
                Operation(
                    template=template,
                    method=method.upper(),
                    pattern=re.compile(regex),
                    parameters=frozenset(form.get("properties", {})),
                    required=frozenset(form.get("required", [])),
                    schema=_response_schema(operation),
                )
            )
    return operations


def _response_schema(operation: dict[str, Any]) -> str | None:
    for status in ("200", "201"):
        content = operation.get("responses", {}).get(status, {}).get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref")
        if ref:
            return str(ref.rsplit("/", 1)[-1])
    return None


OPERATIONS = _load_operations()
SCHEMAS: dict[str, list[str]] = {
    name: list(schema.get("properties", {}))
    for name, schema in json.loads(SPEC_PATH.read_text())["components"]["schemas"].items()
    if name.startswith("api.v2010.account")
}


@dataclass
class Request:
    method: str
    path: str
    form: dict[str, list[str]]
    operation: str
    status: int

    def value(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


def _now() -> str:
    return format_datetime(datetime.now(UTC))


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class FakeTwilio:
    url: str = ""
    account_sid: str = field(default_factory=lambda: _sid("AC"))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    requests: list[Request] = field(default_factory=list)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    conferences: dict[str, dict[str, Any]] = field(default_factory=dict)
    participants: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    recordings: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What Atende asked beyond the resource's fields (Url, StatusCallback…), per call SID.
    call_options: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    listeners: list[Callable[[Request, dict[str, Any] | None], None]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    # ---------------------------------------------------------------- asserting

    def wait_for(
        self, predicate: Callable[[Request], object], count: int = 1, timeout: float = 15.0
    ) -> list[Request]:
        """The recorded requests matching `predicate`, once there are `count` of them."""
        with self.changed:
            self.changed.wait_for(
                lambda: len([r for r in self.requests if predicate(r)]) >= count, timeout
            )
            return [r for r in self.requests if predicate(r)]

    async def arrived(
        self, predicate: Callable[[Request], object], count: int = 1, timeout: float = 15.0
    ) -> list[Request]:
        """`wait_for` for tests whose server shares their event loop: polls without blocking."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [r for r in list(self.requests) if predicate(r)]
            if len(found) >= count or loop.time() > deadline:
                return found
            await asyncio.sleep(0.02)

    def made(self, operation: str, method: str = "POST") -> list[Request]:
        return [r for r in self.requests if r.operation.endswith(operation) and r.method == method]

    # ------------------------------------------------------------- resources

    def conference_by_name(self, name: str) -> dict[str, Any] | None:
        for conference in self.conferences.values():
            if conference["friendly_name"] == name and conference["status"] != "completed":
                return conference
        return None

    def add_conference(self, friendly_name: str) -> dict[str, Any]:
        """What Twilio creates when a first participant dials in by <Conference> TwiML."""
        existing = self.conference_by_name(friendly_name)
        if existing is not None:
            return existing
        sid = _sid("CF")
        conference = self._resource(
            "api.v2010.account.conference",
            sid=sid,
            friendly_name=friendly_name,
            status="init",
            region="us1",
            uri=self._uri(f"/Conferences/{sid}.json"),
        )
        self.conferences[sid] = conference
        return conference

    def add_call(self, to: str, from_: str, direction: str = "inbound") -> dict[str, Any]:
        sid = _sid("CA")
        call = self._resource(
            "api.v2010.account.call",
            sid=sid,
            to=to,
            from_=from_,
            status="ringing",
            direction=direction,
            uri=self._uri(f"/Calls/{sid}.json"),
        )
        self.calls[sid] = call
        return call

    def add_recording(self, conference_sid: str, call_sid: str | None = None) -> dict[str, Any]:
        sid = _sid("RE")
        recording = self._resource(
            "api.v2010.account.recording",
            sid=sid,
            conference_sid=conference_sid,
            call_sid=call_sid,
            status="in-progress",
            source="Conference",
            uri=self._uri(f"/Recordings/{sid}.json"),
        )
        self.recordings[sid] = recording
        return recording

    def _uri(self, tail: str) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}{tail}"

    def _resource(self, schema: str, **values: Any) -> dict[str, Any]:
        body: dict[str, Any] = dict.fromkeys(SCHEMAS[schema])
        now = _now()
        body.update(account_sid=self.account_sid, date_created=now, date_updated=now)
        if "api_version" in body:
            body["api_version"] = "2010-04-01"
        for key, value in values.items():
            body["from" if key == "from_" else key] = value
        return body

    # ------------------------------------------------------------- handling

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        path = urlsplit(raw_path).path
        form = parse_qs(body.decode(), keep_blank_values=True)
        operation, match = self._operation(method, path)
        if operation is None or match is None:
            return self._record(method, path, form, "", 404, _error(20404, "not found", 404))
        if not self._authorised(headers, match.group(1)):
            return self._record(
                method, path, form, operation.template, 401, _error(20003, "Authenticate", 401)
            )
        unknown = sorted(set(form) - operation.parameters)
        if unknown:
            error = _error(20001, f"Unknown parameter {unknown[0]}", 400)
            return self._record(method, path, form, operation.template, 400, error)
        missing = sorted(operation.required - set(form))
        if missing:
            error = _error(21201 if "To" in missing else 20001, f"Missing {missing[0]}", 400)
            return self._record(method, path, form, operation.template, 400, error)
        status, resource = self._dispatch(operation, match.groups()[1:], form)
        return self._record(method, path, form, operation.template, status, resource)

    def _operation(self, method: str, path: str) -> tuple[Operation | None, re.Match[str] | None]:
        for operation in OPERATIONS:
            if operation.method != method:
                continue
            match = operation.pattern.match(path)
            if match:
                return operation, match
        return None, None

    def _authorised(self, headers: dict[str, str], account_sid: str) -> bool:
        header = headers.get("authorization") or headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == account_sid == self.account_sid and password == self.auth_token

    def _record(
        self,
        method: str,
        path: str,
        form: dict[str, list[str]],
        template: str,
        status: int,
        body: Any,
    ) -> tuple[int, Any]:
        request = Request(method, path, form, template, status)
        with self.changed:
            self.requests.append(request)
            self.changed.notify_all()
        for listener in list(self.listeners):
            listener(request, body if isinstance(body, dict) and status < 300 else None)
        return status, body

    def _dispatch(
        self, operation: Operation, ids: tuple[str, ...], form: dict[str, list[str]]
    ) -> tuple[int, Any]:
        one = {key: values[0] for key, values in form.items()}
        key = (operation.method, operation.template.split("/Accounts/{AccountSid}")[1])
        if key == ("POST", "/Calls.json"):
            call = self.add_call(one["To"], one["From"], "outbound-api")
            call["status"] = "queued"
            self.call_options[call["sid"]] = form
            return 201, call
        if key == ("GET", "/Calls.json"):
            return 200, self._page("calls", list(self.calls.values()))
        if key[1] == "/Calls/{Sid}.json":
            return self._call(operation.method, ids[0], one)
        if key == ("GET", "/Conferences.json"):
            return 200, self._page("conferences", list(self.conferences.values()))
        if key[1] == "/Conferences/{Sid}.json":
            return self._conference(operation.method, ids[0], one)
        if key == ("POST", "/Conferences/{ConferenceSid}/Participants.json"):
            return self._add_participant(ids[0], form)
        if key[1] == "/Conferences/{ConferenceSid}/Participants/{CallSid}.json":
            return self._participant(operation.method, ids[0], ids[1], one)
        if key[1] == "/Conferences/{ConferenceSid}/Recordings/{Sid}.json":
            return self._conference_recording(operation.method, ids[0], ids[1], one)
        if key[1] == "/Recordings/{Sid}.json":
            return self._recording(operation.method, ids[0])
        return 405, _error(20004, "Method not allowed", 405)

    def _page(self, name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            name: items,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "end": max(0, len(items) - 1),
            "first_page_uri": None,
            "next_page_uri": None,
            "previous_page_uri": None,
            "uri": None,
        }

    def _call(self, method: str, sid: str, form: dict[str, str]) -> tuple[int, Any]:
        call = self.calls.get(sid)
        if call is None:
            return 404, _error(
                20404, f"The requested resource /Calls/{sid}.json was not found", 404
            )
        if method == "DELETE":
            del self.calls[sid]
            return 204, None
        if method == "POST":
            if form.get("Status") in ("completed", "canceled"):
                call["status"] = form["Status"]
            if form.get("Url"):
                self.call_options.setdefault(sid, {})["Url"] = [form["Url"]]
        return 200, call

    def _conference(self, method: str, sid: str, form: dict[str, str]) -> tuple[int, Any]:
        conference = self.conferences.get(sid)
        if conference is None:
            return 404, _error(
                20404, f"The requested resource /Conferences/{sid}.json was not found", 404
            )
        if method == "POST" and form.get("Status") == "completed":
            conference["status"] = "completed"
            conference["reason_conference_ended"] = "conference-ended-via-api"
        return 200, conference

    def _add_participant(self, conference_ref: str, form: dict[str, list[str]]) -> tuple[int, Any]:
        conference = self.conferences.get(conference_ref) or self.add_conference(conference_ref)
        one = {key: values[0] for key, values in form.items()}
        call = self.add_call(one["To"], one["From"], "outbound-api")
        call["status"] = "queued"
        self.call_options[call["sid"]] = form
        participant = self._resource(
            "api.v2010.account.conference.participant",
            call_sid=call["sid"],
            conference_sid=conference["sid"],
            label=one.get("Label"),
            hold=False,
            muted=one.get("Muted") == "true",
            coaching=False,
            start_conference_on_enter=one.get("StartConferenceOnEnter", "true") == "true",
            end_conference_on_exit=one.get("EndConferenceOnExit", "false") == "true",
            status="queued",
            uri=self._uri(f"/Conferences/{conference['sid']}/Participants/{call['sid']}.json"),
        )
        self.participants[(conference["sid"], call["sid"])] = participant
        return 201, participant

    def _participant(
        self, method: str, conference_sid: str, call_sid: str, form: dict[str, str]
    ) -> tuple[int, Any]:
        participant = self.participants.get((conference_sid, call_sid))
        if participant is None:
            return 404, _error(20404, "Participant not found", 404)
        if method == "DELETE":
            del self.participants[(conference_sid, call_sid)]
            return 204, None
        if method == "POST":
            if "Hold" in form:
                participant["hold"] = form["Hold"] == "true"
            if "Muted" in form:
                participant["muted"] = form["Muted"] == "true"
        return 200, participant

    def _conference_recording(
        self, method: str, conference_sid: str, sid: str, form: dict[str, str]
    ) -> tuple[int, Any]:
        if sid == "Twilio.CURRENT":
            current = [r for r in self.recordings.values() if r["conference_sid"] == conference_sid]
            sid = current[-1]["sid"] if current else ""
        recording = self.recordings.get(sid)
        if recording is None or recording["conference_sid"] != conference_sid:
            return 404, _error(20404, "Recording not found", 404)
        if method == "POST" and form.get("Status") in ("paused", "in-progress", "stopped"):
            recording["status"] = form["Status"]
        if method == "DELETE":
            del self.recordings[sid]
            return 204, None
        return 200, recording

    def _recording(self, method: str, sid: str) -> tuple[int, Any]:
        recording = self.recordings.get(sid)
        if recording is None:
            return 404, _error(20404, "Recording not found", 404)
        if method == "DELETE":
            del self.recordings[sid]
            return 204, None
        return 200, recording


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            status, payload = fake.handle(self.command, self.path, dict(self.headers.items()), body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _handle

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
