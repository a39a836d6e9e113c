"""The callback URLs Twilio is given read back, through any URL parser, the values they were
built with, whatever characters those hold."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from atende.voice.urls import VoiceUrls


@pytest.mark.parametrize("worker", ["WK0123abcd", "agente ana+1&x=/é~", None])
def test_a_callback_url_reads_back_its_values(worker: str | None) -> None:
    url = VoiceUrls("https://atende.example/base/").status("VC9f_2.a-b", "agent", worker)
    parts = urlsplit(url)
    assert parts.path == "/base/webhooks/twilio/voice/status"
    expected = {"call": ["VC9f_2.a-b"], "role": ["agent"]}
    if worker is not None:
        expected["worker"] = [worker]
    assert parse_qs(parts.query) == expected
