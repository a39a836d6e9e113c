"""A local stand-in for Twilio's Messages API (`/2010-04-01/Accounts/{AC}/Messages.json`) and
its media URLs, speaking Twilio's wire format: form posts with HTTP Basic auth, JSON answers,
Twilio's error shape. It records what Atende sent and can be told to refuse the next sends."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")
MEDIA = re.compile(r"^/media/([^/?]+)$")

ERRORS = {
    20429: (429, "Too Many Requests"),
    63016: (400, "Failed to send freeform message because you are outside the allowed window"),
    21211: (400, "The 'To' number is not a valid phone number."),
}


@dataclass
class FakeTwilioMessages:
    account_sid: str = "AC" + "1" * 32
    auth_token: str = "twilio-auth-token"
    url: str = ""
    sent: list[dict[str, str]] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # Every MediaUrl of each sent message, by its SID (`sent` keeps the form's last value).
    media_urls: dict[str, list[str]] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def media_url(self, media_id: str, content: bytes, mime_type: str) -> str:
        self.media[media_id] = (content, mime_type)
        return f"{self.url}/media/{media_id}"

    def authorized(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"


def twilio_error(code: int) -> tuple[int, dict[str, Any]]:
    status, message = ERRORS.get(code, (400, "Error"))
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@contextmanager
def fake_twilio_messages() -> Iterator[FakeTwilioMessages]:
    fake = FakeTwilioMessages()

    class Handler(BaseHTTPRequestHandler):
        def _reply(
            self,
            status: int,
            document: Any = None,
            raw: bytes | None = None,
            content_type: str = "application/json",
        ) -> None:
            payload = raw if raw is not None else json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            pairs = parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
            form = dict(pairs)
            match = MESSAGES.match(self.path)
            if match is None or match.group(1) != fake.account_sid:
                self._reply(404, twilio_error(20404)[1])
                return
            if not fake.authorized(self.headers.get("Authorization")):
                self._reply(401, twilio_error(20003)[1])
                return
            with fake.changed:
                if fake.errors:
                    status, document = twilio_error(fake.errors.pop(0))
                    fake.refused.append(form)
                    fake.changed.notify_all()
                    self._reply(status, document)
                    return
                sid = "SM" + secrets.token_hex(16)
                fake.sent.append({**form, "Sid": sid})
                fake.media_urls[sid] = [value for key, value in pairs if key == "MediaUrl"]
                fake.changed.notify_all()
            self._reply(
                201,
                {
                    "sid": sid,
                    "account_sid": fake.account_sid,
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body", ""),
                    "status": "queued",
                    "num_media": str(len(fake.media_urls[sid])),
                    "api_version": "2010-04-01",
                },
            )

        def do_GET(self) -> None:
            match = MEDIA.match(self.path)
            if match is None or match.group(1) not in fake.media:
                self._reply(404, twilio_error(20404)[1])
                return
            if not fake.authorized(self.headers.get("Authorization")):
                self._reply(401, twilio_error(20003)[1])
                return
            content, mime = fake.media[match.group(1)]
            self._reply(200, raw=content, content_type=mime)

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
