"""A local stand-in for Meta's Graph API (WhatsApp Cloud API), speaking its wire format.

A real HTTP server in a thread: it records every message Atende sends, serves media in Meta's
two steps (look the id up, then download with the token), and can be told to answer the next
requests with Graph errors such as throttling (130429)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MESSAGES = re.compile(r"^/(v\d+\.\d+)/([^/]+)/messages$")
MEDIA = re.compile(r"^/(v\d+\.\d+)/([^/]+)$")
DOWNLOAD = re.compile(r"^/download/([^/?]+)")

TITLES = {
    "130429": "Rate limit hit",
    "131056": "(Business Account, Consumer Account) pair rate limit hit",
    "80007": "Rate limit issues",
    "131047": "Re-engagement message",
    "132001": "Template name does not exist in the translation",
    "131026": "Message undeliverable",
}


@dataclass
class SentMessage:
    version: str
    phone_number_id: str
    body: dict[str, Any]
    authorization: str
    wamid: str


@dataclass
class FakeGraphAPI:
    url: str = ""
    access_token: str = "test-access-token"
    # Numbers with a token of their own (a system user per number): sending from one of
    # these phone_number_ids takes its token, and only its token; media takes any of them.
    number_tokens: dict[str, str] = field(default_factory=dict)
    sent: list[SentMessage] = field(default_factory=list)
    # Graph error codes to answer the next message sends with, in order.
    errors: list[str] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # Media sent to a number with a token of its own: only that token downloads it.
    media_numbers: dict[str, str] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    _counter: int = 0

    def add_media(
        self, media_id: str, content: bytes, mime_type: str, phone_number_id: str | None = None
    ) -> str:
        """Make a media id downloadable (with `phone_number_id`'s token only, when given);
        returns its sha256 as Meta reports it."""
        self.media[media_id] = (content, mime_type)
        if phone_number_id is not None:
            self.media_numbers[media_id] = phone_number_id
        return hashlib.sha256(content).hexdigest()

    def wait_for_sent(self, count: int, timeout: float = 10.0) -> list[SentMessage]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.sent) >= count, timeout)
            return list(self.sent)

    def next_wamid(self) -> str:
        self._counter += 1
        return f"wamid.FAKE{self._counter:08d}"


def graph_error(code: str, details: str = "") -> dict[str, Any]:
    return {
        "error": {
            "message": f"({'#' + code}) {TITLES.get(code, 'Error')}",
            "type": "OAuthException",
            "code": int(code),
            "error_data": {"messaging_product": "whatsapp", "details": details or TITLES.get(code)},
            "fbtrace_id": "AbCdEf",
        }
    }


@contextmanager
def fake_graph_api() -> Iterator[FakeGraphAPI]:
    fake = FakeGraphAPI()

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

        def _authorized(self, phone_number_id: str | None = None) -> bool:
            tokens = {fake.access_token}
            if phone_number_id in fake.number_tokens:
                tokens = {fake.number_tokens[phone_number_id]}
            if self.headers.get("Authorization") in {f"Bearer {token}" for token in tokens}:
                return True
            self._reply(401, graph_error("190", "Invalid OAuth access token"))
            return False

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            match = MESSAGES.match(self.path)
            if match is None:
                self._reply(404, graph_error("100", "Unknown path"))
                return
            if not self._authorized(match.group(2)):
                return
            document = json.loads(body)
            with fake.changed:
                if fake.errors:
                    code = fake.errors.pop(0)
                    fake.refused.append({"code": code, "body": document})
                    fake.changed.notify_all()
                    status = 429 if code == "130429" else 400
                    self._reply(status, graph_error(code))
                    return
                wamid = fake.next_wamid()
                fake.sent.append(
                    SentMessage(
                        match.group(1),
                        match.group(2),
                        document,
                        self.headers.get("Authorization", ""),
                        wamid,
                    )
                )
                fake.changed.notify_all()
            recipient = document.get("to") or document.get("recipient")
            self._reply(
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": recipient, "wa_id": recipient}],
                    "messages": [{"id": wamid}],
                },
            )

        def do_GET(self) -> None:
            download = DOWNLOAD.match(self.path)
            if download is not None:
                media_id = download.group(1)
                if not self._authorized(fake.media_numbers.get(media_id)):
                    return
                fake.downloads.append(media_id)
                content, mime = fake.media[media_id]
                self._reply(200, raw=content, content_type=mime)
                return
            match = MEDIA.match(self.path.split("?")[0])
            if match is None or match.group(2) not in fake.media:
                self._reply(404, graph_error("100", "Unsupported get request"))
                return
            media_id = match.group(2)
            if not self._authorized(fake.media_numbers.get(media_id)):
                return
            content, mime = fake.media[media_id]
            self._reply(
                200,
                {
                    "messaging_product": "whatsapp",
                    "url": f"{fake.url}/download/{media_id}?ext=1",
                    "mime_type": mime,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "file_size": len(content),
                    "id": media_id,
                },
            )

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
