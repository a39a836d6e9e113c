"""Twilio REST requests for voice, built by the official `twilio` client and sent via the outbox.

The `twilio` client knows Twilio's exact paths and parameter names; instead of sending, its HTTP
layer here captures each request so that it is stored in the same transaction as the change that
caused it and delivered with retries (durable before acknowledged). The base URL is the
channel's (ATENDE_TWILIO_API_BASE by default), which is how tests point it at a local fake."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from atende.events.models import OutboxMessage
from atende.events.record import enqueue_http

CALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


@dataclass(frozen=True)
class RestRequest:
    method: str
    url: str
    data: dict[str, Any]
    auth: tuple[str, str]

    def body(self) -> str:
        return urlencode(self.data, doseq=True)

    @property
    def creates_leg(self) -> bool:
        """A new call (a participant or an outbound call): its answer names the CallSid."""
        return self.method == "POST" and self.url.endswith(("/Calls.json", "/Participants.json"))

    def authorization(self) -> str:
        raw = f"{self.auth[0]}:{self.auth[1]}".encode()
        return "Basic " + base64.b64encode(raw).decode()


class _Capture(HttpClient):
    """An HttpClient that keeps requests instead of sending them."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger(__name__), False)
        self.captured: list[RestRequest] = []

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        self.captured.append(RestRequest(method, url, dict(data or {}), auth or ("", "")))
        return Response(201, "{}")


@dataclass
class TwilioVoiceRest:
    """The voice operations Atende asks of Twilio, each returning the captured request."""

    account_sid: str
    auth_token: str
    api_base: str
    _capture: _Capture = field(default_factory=_Capture, repr=False)

    def __post_init__(self) -> None:
        self._client = Client(self.account_sid, self.auth_token, http_client=self._capture)
        self._client.api.base_url = self.api_base.rstrip("/")

    def _last(self) -> RestRequest:
        return self._capture.captured.pop()

    def add_participant(
        self,
        conference: str,
        *,
        from_: str,
        to: str,
        status_callback: str,
        label: str,
        start_conference_on_enter: bool = True,
        end_conference_on_exit: bool = False,
        conference_status_callback: str | None = None,
        timeout: int = 30,
        early_media: bool = False,
    ) -> RestRequest:
        """A leg dialled straight into the conference (by name or sid)."""
        self._client.conferences(conference).participants.create(
            from_=from_,
            to=to,
            label=label,
            status_callback=status_callback,
            status_callback_method="POST",
            status_callback_event=CALL_EVENTS,
            start_conference_on_enter=start_conference_on_enter,
            end_conference_on_exit=end_conference_on_exit,
            conference_status_callback=conference_status_callback,
            conference_status_callback_method="POST" if conference_status_callback else None,
            conference_status_callback_event=(
                ["start", "end", "join", "leave", "hold", "mute"]
                if conference_status_callback
                else None
            ),
            timeout=timeout,
            early_media=early_media,
            beep="false",
        )
        return self._last()

    def update_participant(
        self,
        conference_sid: str,
        call_sid: str,
        *,
        hold: bool | None = None,
        hold_url: str | None = None,
        muted: bool | None = None,
    ) -> RestRequest:
        self._client.conferences(conference_sid).participants(call_sid).update(
            hold=hold, hold_url=hold_url, hold_method="POST" if hold_url else None, muted=muted
        )
        return self._last()

    def remove_participant(self, conference_sid: str, call_sid: str) -> RestRequest:
        self._client.conferences(conference_sid).participants(call_sid).delete()
        return self._last()

    def create_call(self, *, to: str, from_: str, url: str, status_callback: str) -> RestRequest:
        self._client.calls.create(
            to=to,
            from_=from_,
            url=url,
            method="POST",
            status_callback=status_callback,
            status_callback_method="POST",
            status_callback_event=CALL_EVENTS,
        )
        return self._last()

    def redirect_call(self, call_sid: str, url: str) -> RestRequest:
        self._client.calls(call_sid).update(url=url, method="POST")
        return self._last()

    def end_call(self, call_sid: str) -> RestRequest:
        self._client.calls(call_sid).update(status="completed")
        return self._last()

    def end_conference(self, conference_sid: str) -> RestRequest:
        self._client.conferences(conference_sid).update(status="completed")
        return self._last()

    def set_conference_recording(
        self, conference_sid: str, recording_sid: str, status: str
    ) -> RestRequest:
        """`status` is "paused" or "in-progress"; pausing keeps card data out of recordings."""
        self._client.conferences(conference_sid).recordings(recording_sid).update(
            status=status, pause_behavior="skip" if status == "paused" else None
        )
        return self._last()

    def delete_recording(self, recording_sid: str) -> RestRequest:
        self._client.recordings(recording_sid).delete()
        return self._last()


def enqueue(
    session: AsyncSession, request: RestRequest, kind: str, reply_to: str | None = None
) -> OutboxMessage:
    """Store the request in the outbox, delivered (with retries) once the transaction commits."""
    message = enqueue_http(
        session,
        kind,
        request.url,
        {},
        reply_to=reply_to,
        headers={"Authorization": request.authorization(), "Accept": "application/json"},
    )
    message.method = request.method
    message.body = request.body()
    return message
