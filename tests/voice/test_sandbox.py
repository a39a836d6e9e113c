"""The sandbox carrier: simulated callers through a real server, the same path as Twilio's."""

from __future__ import annotations

import time
from collections.abc import Callable

from atende.channels.sandbox_voice import CallerMix
from atende.voice.models import Call
from atende.voice.sandbox import run_sandbox_callers
from tests.conftest import LiveServer
from tests.fakes.twilio_api import FakeTwilio
from tests.support.waiting import eventually
from tests.voice.conftest import ContactCenter, build_center


def _wait(
    live_server: LiveServer, center: ContactCenter, accept: Callable[[list[Call]], bool]
) -> list[Call]:
    """Poll the server's calls until `accept` holds (or 30 s pass; the caller asserts)."""
    deadline = time.monotonic() + 30
    calls = live_server.call(center.calls())
    while not accept(calls) and time.monotonic() < deadline:
        time.sleep(0.1)
        calls = live_server.call(center.calls())
    return calls


def test_sandbox_callers_reach_an_agent_and_hang_up_after_talking(
    live_server: LiveServer, twilio: FakeTwilio
) -> None:
    center = live_server.call(build_center(live_server.app, twilio))
    live_server.call(center.set_available("ana"))
    mix = CallerMix(
        calls_per_minute=600, digits=(("4", 1),), mean_patience=60, mean_talk=0.3, callback_share=0
    )
    runtime = center.runtime
    live_server.call_soon(run_sandbox_callers(runtime, center.workflow_sid, mix, limit=1))
    live_server.call(center.accept("ana"))
    [call] = _wait(live_server, center, lambda calls: bool(calls) and calls[0].stage == "wrapup")
    assert call.stage == "wrapup", call.end_reason
    assert call.connected_at is not None and not call.abandoned
    assert call.worker_sid == center.workers["ana"]
    assert call.attributes["motivo"] == "apolice"
    task = live_server.call(center.task(call.task_sid or ""))
    assert task.assignment_status == "wrapping"
    legs = live_server.call(
        eventually(
            lambda: center.legs(call.sid),
            lambda legs: all(leg.status == "completed" for leg in legs),
        )
    )
    assert {leg.role for leg in legs} == {"customer", "agent"}
    assert all(leg.status == "completed" for leg in legs)


def test_impatient_sandbox_callers_abandon(live_server: LiveServer, twilio: FakeTwilio) -> None:
    center = live_server.call(build_center(live_server.app, twilio))
    mix = CallerMix(calls_per_minute=600, digits=(("4", 1),), mean_patience=0.2, callback_share=0)
    live_server.call_soon(run_sandbox_callers(center.runtime, center.workflow_sid, mix, limit=1))
    [call] = _wait(live_server, center, lambda calls: bool(calls) and calls[0].stage == "ended")
    assert call.abandoned
    assert live_server.call(center.task(call.task_sid or "")).assignment_status == "canceled"
