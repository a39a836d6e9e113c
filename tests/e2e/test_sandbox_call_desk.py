"""A call from the demo's simulated phone network, run from the agent's call panel in Chromium.

The server gets its `sandbox` voice channel and its caller the way `atende demo` gets them
(`run_sandbox_callers`): the caller dials the sandbox number through the signed voice webhooks,
goes through the IVR and waits in the queue; voice's REST requests go to the node's own
`/sandbox/twilio`, where the simulated carrier rings the agent's leg and answers it by itself.
The sandbox rings no browser (the desk's softphone, there for the fixture's Twilio channel, stays
idle), so the call panel is how the agent runs the call: hold and resume reach the carrier, which
reports them back as conference events; mute is the agent's leg in the conference; the panel
keeps showing both after a reload; hang up ends the conference; the wrap-up completes the task
and the call."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from atende.channels.sandbox_voice import CallerMix
from atende.taskrouter import models as tr
from atende.voice.models import Call, CallLeg
from atende.voice.sandbox import SANDBOX_NUMBER, run_sandbox_callers
from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in
from tests.e2e.test_agent_desk import go_available

pytestmark = [pytest.mark.e2e, needs_chromium]

PANEL_SHOT = "/tmp/sandbox_call_panel.png"
# The carrier rings agents' legs after up to 2 s and posts its webhooks from the server's own
# loop, on a 2-core machine shared with other jobs: wait generously for each stage.
WAIT = 30.0
# One caller who picks "apólice" (4, Ana's queue), declines the callback, and neither gives up
# nor hangs up by themselves (patience and talk time average 30 years): the agent ends the call.
ONE_PATIENT_CALLER = CallerMix(
    calls_per_minute=600, digits=(("4", 1),), mean_patience=1e9, mean_talk=1e9, callback_share=0
)


async def _newest_call(desk: Desk) -> Call | None:
    async with desk.server.app.state.runtime.sessions() as session:
        query = select(Call).order_by(Call.created_at.desc()).limit(1)
        return (await session.execute(query)).scalars().first()


def _call_reaches(desk: Desk, accept: Callable[[Call], bool]) -> Call:
    """Polls voice's own record of the call until `accept(call)` holds (or WAIT passes)."""

    async def probe() -> Call | None:
        call = await _newest_call(desk)
        return call if call is not None and accept(call) else None

    found = desk.eventually(probe, timeout=WAIT)
    assert found is not None, desk.server.call(_newest_call(desk))
    return found


async def _legs(desk: Desk, call_sid: str) -> dict[str, dict[str, Any]]:
    """The call's legs by role, as voice recorded the carrier's status and conference events
    (a customer leg's `on_hold` is set by the carrier's participant-hold/-unhold only)."""
    async with desk.server.app.state.runtime.sessions() as session:
        query = select(CallLeg).where(CallLeg.voice_call_sid == call_sid)
        return {
            leg.role: {"status": leg.status, "on_hold": leg.on_hold, "muted": leg.muted}
            for leg in (await session.execute(query)).scalars()
        }


Legs = dict[str, dict[str, Any]]


def _legs_reach(desk: Desk, call_sid: str, accept: Callable[[Legs], bool]) -> Legs:
    async def probe() -> dict[str, dict[str, Any]] | None:
        legs = await _legs(desk, call_sid)
        return legs if accept(legs) else None

    found = desk.eventually(probe, timeout=WAIT)
    assert found is not None, desk.server.call(_legs(desk, call_sid))
    return found


async def _task_status(desk: Desk, task_sid: str) -> str:
    async with desk.server.app.state.runtime.sessions() as session:
        task = await session.get(tr.Task, task_sid)
        assert task is not None
        return task.assignment_status


def _call_via_api(desk: Desk, page: Page, call_sid: str) -> dict[str, Any]:
    """The call as the agent's own session reads it from the voice API."""
    response = page.request.get(f"{desk.url}/api/calls/{call_sid}")
    assert response.ok, response.text()
    body: dict[str, Any] = response.json()
    return body


def _agent_leg(call: dict[str, Any]) -> dict[str, Any]:
    [leg] = [leg for leg in call["legs"] if leg["role"] == "agent"]
    return leg


def test_an_agent_runs_a_sandbox_call_from_the_call_panel_and_wraps_up(
    desk: Desk, browser: Browser
) -> None:
    runtime = desk.server.app.state.runtime
    # The demo's job, limited to one caller: creates the sandbox channel and places the call.
    desk.server.call(run_sandbox_callers(runtime, desk.center.workflow_sid, ONE_PATIENT_CALLER, 1))
    queued = _call_reaches(desk, lambda call: call.stage == "queued")
    assert queued.company_number == SANDBOX_NUMBER
    assert queued.attributes["motivo"] == "apolice"
    assert queued.protocol and queued.task_sid
    caller, protocol, task_sid = queued.customer_number, queued.protocol, queued.task_sid

    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk, "ana")
    expect(page).to_have_url(f"{desk.url}/agent")
    expect(page.locator("#connection")).to_have_text("Conectado")
    go_available(page)

    offer = page.locator(".offer")
    expect(offer).to_contain_text(caller, timeout=WAIT * 1000)
    expect(offer).to_contain_text("Alteração de apólice")
    offer.get_by_role("button", name="Aceitar").click()
    expect(offer).to_have_count(0)
    connected = _call_reaches(desk, lambda call: call.stage == "connected")
    assert connected.sid == queued.sid
    assert connected.worker_sid == desk.center.workers["ana"]

    pane = page.locator("#pane-task")
    expect(pane.locator(".pane-head")).to_contain_text("Voz")
    customer = page.locator("#customer-body")
    expect(customer.locator("#protocol")).to_have_text(protocol)
    expect(customer).to_contain_text(caller)
    # The sandbox rang Ana's leg and answered it: the panel runs the call.
    status = page.locator("#call-status")
    expect(status).to_have_text("Chamada em andamento")
    panel = page.locator(".call-panel")
    for name in ("Silenciar", "Colocar em espera", "Transferir", "Desligar"):
        expect(panel.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(panel.locator(".call-timer")).to_have_text(re.compile(r"\d+:\d\d"))
    # Desligar is the one way to end it (a wrap-up of a live call would strand the caller).
    expect(pane.get_by_role("button", name="Encerrar atendimento")).to_have_count(0)

    mute = panel.locator("#call-mute")
    hold = panel.locator("#call-hold")

    hold.click()
    expect(status).to_have_text("Cliente em espera")
    expect(hold).to_have_text("Retomar")
    expect(hold).to_have_attribute("aria-pressed", "true")
    assert _call_via_api(desk, page, connected.sid)["on_hold"] is True
    _legs_reach(desk, connected.sid, lambda legs: legs["customer"]["on_hold"])
    mute.click()
    expect(mute).to_have_text("Reativar microfone")
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(status).to_have_text("Cliente em espera")
    assert _agent_leg(_call_via_api(desk, page, connected.sid))["muted"] is True
    page.screenshot(path=PANEL_SHOT)
    screenshot(page, "agent-sandbox-call-on-hold")

    # Drawn afresh (a reload), the panel shows the call as voice holds it.
    page.reload()
    expect(status).to_have_text("Cliente em espera")
    expect(hold).to_have_text("Retomar")
    expect(mute).to_have_text("Reativar microfone")

    hold.click()
    expect(status).to_have_text("Microfone desligado")
    expect(hold).to_have_text("Colocar em espera")
    expect(hold).to_have_attribute("aria-pressed", "false")
    assert _call_via_api(desk, page, connected.sid)["on_hold"] is False
    _legs_reach(desk, connected.sid, lambda legs: not legs["customer"]["on_hold"])
    mute.click()
    expect(status).to_have_text("Chamada em andamento")
    expect(mute).to_have_text("Silenciar")
    assert _agent_leg(_call_via_api(desk, page, connected.sid))["muted"] is False

    panel.get_by_role("button", name="Desligar", exact=True).click()
    wrapup = page.locator("#wrapup-form")
    expect(wrapup).to_be_visible()
    assert _call_via_api(desk, page, connected.sid)["stage"] == "wrapup"
    wrapup.get_by_label("Venda realizada").check()
    wrapup.get_by_role("button", name="Concluir atendimento").click()
    expect(page.locator("#toasts")).to_contain_text("Atendimento concluído.")
    expect(page.locator("#pane-empty")).to_be_visible()
    expect(page.locator("#work-empty")).to_be_visible()

    ended = _call_reaches(desk, lambda call: call.stage == "ended")
    assert ended.disposition == "venda_realizada"
    assert ended.end_reason == "agent hung up"
    assert ended.ended_at is not None and not ended.abandoned
    assert desk.server.call(_task_status(desk, task_sid)) == "completed"
    assert _call_via_api(desk, page, connected.sid)["stage"] == "ended"

    # The carrier ended the conference and reported both legs completed.
    legs = _legs_reach(
        desk,
        connected.sid,
        lambda legs: {leg["status"] for leg in legs.values()} == {"completed"},
    )
    assert set(legs) == {"customer", "agent"}
    context.close()
