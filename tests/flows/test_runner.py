"""The runner performs a flow's effects: calendar checks and the caller lookup."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from atende.flows import actions as act
from atende.flows.default import load_default_flow
from atende.flows.interpreter import FlowState
from atende.flows.runner import FlowRunner
from tests.support.http_receiver import http_receiver

CALLER = {"protocol": "20261124000042", "from": "+5511999990000"}
# 2026-11-23 is a Monday; 13:00 UTC is 10:00 in São Paulo. 2026-12-25 is Christmas (a Friday).
MONDAY_MORNING = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
CHRISTMAS_MORNING = datetime(2026, 12, 25, 13, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)


def clock_at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


async def test_open_hours_reach_the_menu_with_no_effects_left_for_the_channel() -> None:
    runner = FlowRunner(clock=lambda: MONDAY_MORNING)
    step = await runner.advance(load_default_flow(), FlowState.begin(CALLER), act.Start())
    assert not any(isinstance(a, act.CheckHours | act.Lookup) for a in step.actions)
    assert isinstance(step.actions[-1], act.Prompt)
    assert step.state.attributes["business_hours"] is True


async def test_holidays_and_sundays_are_out_of_hours() -> None:
    for moment in (CHRISTMAS_MORNING, SUNDAY):
        runner = FlowRunner(clock=clock_at(moment))
        step = await runner.advance(load_default_flow(), FlowState.begin(CALLER), act.Start())
        assert step.state.node == "oferta_retorno", moment
        assert step.state.attributes["business_hours"] is False


async def test_lookup_answer_lands_in_attributes() -> None:
    with http_receiver() as crm:
        crm.reply_body = json.dumps({"nome": "Maria", "cliente_desde": 2019}).encode()
        flow = load_default_flow(crm_lookup_url=crm.url + "/clientes?tel={from}")
        async with httpx.AsyncClient() as http:
            runner = FlowRunner(http=http, clock=lambda: MONDAY_MORNING)
            step = await runner.advance(flow, FlowState.begin(CALLER), act.Start())
        assert crm.requests[0].path == "/clientes?tel=%2B5511999990000"
    assert step.state.attributes["crm"] == {"nome": "Maria", "cliente_desde": 2019}
    assert isinstance(step.actions[-1], act.Prompt)


async def test_lookup_timeout_or_error_falls_back_and_the_call_goes_on() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("too slow", request=request)

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="oops")

    flow = load_default_flow(crm_lookup_url="https://crm.invalid/c?tel={from}")
    for handler in (slow, broken):
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            runner = FlowRunner(http=http, clock=lambda: MONDAY_MORNING)
            step = await runner.advance(flow, FlowState.begin(CALLER), act.Start())
        assert step.state.attributes["crm_found"] is False
        assert isinstance(step.actions[-1], act.Prompt)


async def test_unknown_calendar_counts_as_open() -> None:
    runner = FlowRunner(calendars={}, clock=lambda: SUNDAY)
    step = await runner.advance(load_default_flow(), FlowState.begin(CALLER), act.Start())
    assert step.state.attributes["business_hours"] is True


async def test_the_always_open_calendar_is_open_on_holidays() -> None:
    document = load_default_flow().nodes
    assert document["horario"].calendar == "atendimento"  # type: ignore[union-attr]
    runner = FlowRunner(clock=lambda: CHRISTMAS_MORNING)
    assert runner.calendars["24x7"].is_open(CHRISTMAS_MORNING)
    assert not runner.calendars["atendimento"].is_open(CHRISTMAS_MORNING)
