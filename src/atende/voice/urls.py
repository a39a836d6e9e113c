"""The public URLs Twilio is told to call back, all under `/webhooks/twilio/voice`.

They are built from ATENDE_PUBLIC_URL, the same base the signatures are checked against, and
carry in their query what the callback is about (the call, the leg's role, the flow step)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote_plus

PREFIX = "/webhooks/twilio/voice"
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _quoted(value: str) -> str:
    """As `urlencode` writes a value. SIDs, steps and roles need no quoting, and every reply
    carries several of these URLs: they skip `quote_plus`."""
    return value if _UNRESERVED.fullmatch(value) else quote_plus(value)


@dataclass(frozen=True)
class VoiceUrls:
    public_url: str

    def _url(self, path: str, **query: str | int | None) -> str:
        kept = "&".join(
            f"{key}={_quoted(str(value))}" for key, value in query.items() if value is not None
        )
        suffix = f"?{kept}" if kept else ""
        return f"{self.public_url.rstrip('/')}{PREFIX}{path}{suffix}"

    def inbound(self) -> str:
        return self._url("")

    def gather(self, call: str, step: int) -> str:
        return self._url("/gather", call=call, step=step)

    def recorded(self, call: str, step: int) -> str:
        return self._url("/recorded", call=call, step=step)

    def callback_offer(self, call: str, step: int) -> str:
        return self._url("/callback-offer", call=call, step=step)

    def status(self, call: str, role: str, worker: str | None = None) -> str:
        return self._url("/status", call=call, role=role, worker=worker)

    def conference(self, call: str) -> str:
        return self._url("/conference", call=call)

    def recording(self, call: str, kind: str = "call") -> str:
        return self._url("/recording", call=call, kind=kind)

    def wait(self, call: str) -> str:
        return self._url("/wait", call=call)

    def hold_music(self) -> str:
        return self._url("/hold")

    def join(self, call: str, role: str, worker: str | None = None) -> str:
        """TwiML that puts a leg we dialled ourselves into the call's conference."""
        return self._url("/join", call=call, role=role, worker=worker)
