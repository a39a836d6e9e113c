"""A phone call answered in the browser softphone, in a real Chromium.

Twilio's signalling servers are out of reach, so the desk's vendor URL is routed (in this test's
browser only) to a double of the Voice JS SDK's public API kept beside this file; everything
else is real: a caller dials the company through the signed voice webhooks (the simulated
carrier), the agent accepts the offer, voice dials `client:ana` through the fake Twilio REST
API, and the test plays Twilio's part in between: it rings the registered Device and reports
the agent's leg answered or ended. The test checks what the agent sees and that the desk's
buttons reach the SDK (answer, mute, hang up) and our API (hold, transfer)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from atende.desk.static_files import vendor_path
from atende.taskrouter import models as tr
from atende.taskrouter.service import TaskRouterService
from atende.voice.models import Call
from tests.desk.contact_center import add_voice_channel, set_activity
from tests.e2e.conftest import Desk, needs_chromium, new_context, screenshot, sign_in
from tests.fakes.twilio_api import FakeTwilio, Request, fake_twilio
from tests.voice.carrier import COMPANY_NUMBER, Caller, Carrier
from tests.voice.conftest import MONDAY_MORNING, queued_caller

pytestmark = [
    pytest.mark.e2e,
    needs_chromium,
    pytest.mark.skipif(
        vendor_path("twilio-voice.min.js") is None,
        reason="the desk offers the softphone only once npm has installed the Twilio Voice SDK",
    ),
]


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


class Phone:
    """The test's side of the call: the caller (through the carrier) and Twilio's signalling."""

    def __init__(self, desk: Desk, twilio: FakeTwilio, page: Page) -> None:
        self.desk = desk
        self.twilio = twilio
        self.page = page
        self.client = httpx.AsyncClient(base_url=desk.url)
        self.carrier = Carrier(self.client, twilio, desk.url)
        self.dial: Request | None = None

    def caller_waits(self) -> Caller:
        """Dials in, chooses "apólice" (4), declines the callback and waits in the queue."""
        return self.desk.server.call(queued_caller(self.carrier, "4"))

    def agent_is_rung(self) -> int:
        """Voice asked Twilio to add `client:ana`: the browser's Device rings."""
        [dial] = self.twilio.wait_for(
            lambda r: r.operation.endswith("/Participants.json") and r.value("To") == "client:ana"
        )
        self.dial = dial
        leg = self.carrier.call_sid_of(dial)
        index: int = self.page.evaluate(
            "p => twilioDouble.ring(p)",
            {"CallSid": leg, "From": dial.value("From"), "To": "client:ana"},
        )
        return index

    def agent_leg_answered(self) -> None:
        assert self.dial is not None
        self.desk.server.call(self.carrier.answer_participant(self.dial))

    def agent_leg_ended(self) -> None:
        assert self.dial is not None
        self.desk.server.call(self.carrier.call_status(self.dial, "completed"))

    def sdk_calls(self) -> list[list[str | bool]]:
        """What the page asked of the SDK double: [method, call SID or identity, (mute flag)]."""
        log: list[list[str | bool]] = self.page.evaluate("() => twilioDouble.log")
        return log

    def sdk_did(self, method: str) -> bool:
        """Whether the page called `method` on the rung leg's SDK call."""
        assert self.dial is not None
        called: list[str | bool] = [method, self.carrier.call_sid_of(self.dial)]
        return called in self.sdk_calls()

    def close(self) -> None:
        self.desk.server.call(self.client.aclose())


async def _in_stage(desk: Desk, stage: str) -> bool:
    """Whether the newest call has reached `stage` in voice's own records."""
    async with desk.server.app.state.runtime.sessions() as session:
        query = select(Call.stage).order_by(Call.created_at.desc()).limit(1)
        return (await session.execute(query)).scalar_one() == stage


def _agent_desktop_with_softphone(desk: Desk, browser: Browser, twilio: FakeTwilio) -> Page:
    runtime = desk.server.app.state.runtime
    runtime.services["voice.flow_runner"].clock = lambda: MONDAY_MORNING
    desk.server.call(add_voice_channel(runtime, desk.center, number=COMPANY_NUMBER, twilio=twilio))
    context = new_context(browser)
    page = context.new_page()

    sign_in(page, desk, "ana")
    expect(page).to_have_url(f"{desk.url}/agent")
    desk.server.call(set_activity(desk.server.app, desk.center, "ana", "Disponível"))
    expect(page.locator("#softphone-state")).to_have_attribute("data-state", "ready")
    return page


def _accept_offer(page: Page) -> None:
    offer = page.locator(".offer")
    expect(offer).to_be_visible()
    offer.get_by_role("button", name="Aceitar").click()


def test_an_agent_answers_mutes_holds_and_hangs_up_in_the_browser_then_wraps_up(
    desk: Desk, browser: Browser, twilio: FakeTwilio
) -> None:
    page = _agent_desktop_with_softphone(desk, browser, twilio)
    phone = Phone(desk, twilio, page)
    state = page.locator("#softphone-state")
    assert page.evaluate("() => twilioDouble.devices[0].identity") == "ana"

    caller = phone.caller_waits()
    _accept_offer(page)
    call = phone.agent_is_rung()
    expect(state).to_have_attribute("data-state", "incoming")
    expect(state).to_have_text("Chamando")
    expect(page.locator(".softphone-caller")).to_have_text(f"Ligação de {caller.from_}")
    screenshot(page, "agent-softphone-ringing")

    page.get_by_role("button", name="Atender").click()
    assert phone.sdk_did("accept")
    expect(state).to_have_attribute("data-state", "on_call")
    expect(state).to_have_text("Em ligação")
    phone.agent_leg_answered()
    assert desk.eventually(lambda: _in_stage(desk, "connected"))

    softphone = page.locator("#softphone")
    mute = softphone.get_by_role("button", name="Mudo")
    mute.click()
    assert page.evaluate(f"() => twilioDouble.callState({call})") == {
        "status": "open",
        "muted": True,
    }
    unmute = softphone.get_by_role("button", name="Tirar do mudo")
    expect(unmute).to_have_attribute("aria-pressed", "true")
    screenshot(page, "agent-softphone-on-call")
    # The call panel shows the same microphone, and its button drives the same SDK call.
    panel_mute = page.locator("#call-mute")
    expect(panel_mute).to_have_text("Reativar microfone")
    expect(page.locator("#call-status")).to_have_text("Microfone desligado")
    unmute.click()
    assert page.evaluate(f"() => twilioDouble.callState({call})")["muted"] is False
    expect(softphone.get_by_role("button", name="Mudo")).to_have_attribute("aria-pressed", "false")
    expect(panel_mute).to_have_text("Silenciar")
    panel_mute.click()
    expect(softphone.get_by_role("button", name="Tirar do mudo")).to_be_visible()
    assert page.evaluate(f"() => twilioDouble.callState({call})")["muted"] is True
    panel_mute.click()
    expect(softphone.get_by_role("button", name="Mudo")).to_be_visible()
    assert page.evaluate(f"() => twilioDouble.callState({call})")["muted"] is False
    muted_at_twilio = [r for r in twilio.requests if r.value("Muted")]
    assert not muted_at_twilio, "a softphone call is muted in the browser, not in the conference"

    # Hold is the conference's (our API tells Twilio to play music to the caller).
    page.get_by_role("button", name="Colocar em espera").click()
    expect(page.locator("#call-status")).to_have_text("Cliente em espera")
    [hold] = twilio.wait_for(
        lambda r: r.path.endswith(f"/Participants/{caller.call_sid}.json") and r.value("Hold")
    )
    assert hold.value("Hold") == "true"
    page.get_by_role("button", name="Retomar").click()
    expect(page.locator("#call-status")).to_have_text("Chamada em andamento")
    twilio.wait_for(
        lambda r: (
            r.path.endswith(f"/Participants/{caller.call_sid}.json") and r.value("Hold") == "false"
        )
    )

    softphone.get_by_role("button", name="Desligar").click()
    assert phone.sdk_did("disconnect")
    expect(state).to_have_attribute("data-state", "ready")
    phone.agent_leg_ended()  # Twilio reports the browser's leg completed
    wrapup = page.locator("#wrapup-form")
    expect(wrapup).to_be_visible()
    # The caller's leg is ended at Twilio too.
    twilio.wait_for(
        lambda r: r.path.endswith(f"/Calls/{caller.call_sid}.json") and r.value("Status")
    )
    wrapup.get_by_label("Venda realizada").check()
    page.get_by_role("button", name="Concluir atendimento").click()
    expect(page.locator("#pane-empty")).to_be_visible()
    assert desk.eventually(lambda: _in_stage(desk, "ended"))
    phone.close()
    page.context.close()


def test_a_cold_transfer_from_the_softphone_hands_the_caller_over_and_the_agent_wraps_up(
    desk: Desk, browser: Browser, twilio: FakeTwilio
) -> None:
    page = _agent_desktop_with_softphone(desk, browser, twilio)
    phone = Phone(desk, twilio, page)
    state = page.locator("#softphone-state")
    caller = phone.caller_waits()
    _accept_offer(page)
    call = phone.agent_is_rung()
    page.get_by_role("button", name="Atender").click()
    phone.agent_leg_answered()
    assert desk.eventually(lambda: _in_stage(desk, "connected"))
    expect(state).to_have_attribute("data-state", "on_call")

    desk.server.call(set_activity(desk.server.app, desk.center, "bruno", "Disponível"))
    page.get_by_role("button", name="Transferir").click()
    page.get_by_label("Transferir para").select_option(label="Agente: Bruno Lima")
    page.get_by_label("Tipo de transferência").select_option("cold")
    page.get_by_role("button", name="Transferir agora").click()
    expect(page.locator("#toasts")).to_contain_text("Transferência iniciada.")
    # Ana stays with the call until Bruno answers; she could still take the customer back.
    expect(page.locator("#transfer-waiting")).to_contain_text("aguarda em espera")
    expect(page.locator("#call-status")).to_have_text("Cliente em espera")
    expect(state).to_have_attribute("data-state", "on_call")
    screenshot(page, "agent-softphone-transferring")
    # The caller waits on hold while Bruno is offered the call.
    twilio.wait_for(
        lambda r: (
            r.path.endswith(f"/Participants/{caller.call_sid}.json") and r.value("Hold") == "true"
        )
    )
    reservation = desk.eventually(lambda: _pending_reservation(desk, "bruno"))
    assert reservation, "Bruno was never offered the transferred call"
    desk.server.call(_accept(desk, reservation))
    [bruno] = twilio.wait_for(
        lambda r: r.operation.endswith("/Participants.json") and r.value("To") == "client:bruno"
    )
    desk.server.call(phone.carrier.answer_participant(bruno))
    # Bruno has the caller: Twilio takes Ana's leg out of the conference; her browser's call ends.
    ana_leg = phone.carrier.call_sid_of(phone.dial)  # type: ignore[arg-type]
    [removed] = twilio.wait_for(
        lambda r: r.method == "DELETE" and r.path.endswith(f"/Participants/{ana_leg}.json")
    )
    assert removed is not None
    page.evaluate(f"() => twilioDouble.remoteHangUp({call})")
    phone.agent_leg_ended()
    expect(state).to_have_attribute("data-state", "ready")
    wrapup = page.locator("#wrapup-form")
    expect(wrapup).to_be_visible()
    wrapup.get_by_label("Retornar depois").check()
    page.get_by_role("button", name="Concluir atendimento").click()
    expect(page.locator("#toasts")).to_contain_text("Atendimento concluído.")
    expect(page.locator("#pane-empty")).to_be_visible()
    # The call goes on, now Bruno's.
    assert desk.server.call(_in_stage(desk, "connected"))
    assert desk.server.call(_call_worker(desk)) == desk.center.workers["bruno"]
    phone.close()
    page.context.close()


async def _call_worker(desk: Desk) -> str | None:
    async with desk.server.app.state.runtime.sessions() as session:
        query = select(Call.worker_sid).order_by(Call.created_at.desc()).limit(1)
        return (await session.execute(query)).scalar_one()


async def _pending_reservation(desk: Desk, user: str) -> str | None:
    async with desk.server.app.state.runtime.sessions() as session:
        query = select(tr.Reservation.sid).where(
            tr.Reservation.worker_sid == desk.center.workers[user],
            tr.Reservation.reservation_status == "pending",
        )
        return (await session.execute(query)).scalars().first()


async def _accept(desk: Desk, reservation_sid: str) -> None:
    """What Bruno's desk does when he accepts (his browser is not part of this test)."""
    runtime = desk.server.app.state.runtime
    async with runtime.sessions() as session:
        await TaskRouterService(session, runtime).accept_reservation(
            desk.center.workspace_sid, reservation_sid
        )
        await session.commit()
