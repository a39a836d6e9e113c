"""Carrying out a flow's effects, so channels only ever see what to say and what to wait for.

`FlowRunner.advance` wraps the pure interpreter: when a step stops at an effect it performs it
(a business-hours check against a named calendar at the runner's clock; an HTTP lookup with the
node's short timeout, where any failure means "not found" and the node's fallback is used) and
steps again, until the flow waits for the contact or finishes. The actions it returns contain no
effects.

A lookup waits on somebody else's server, so a channel does not want it inside its database
transaction: `prefetch` runs the same input through the flow beforehand, outside any
transaction, and keeps the lookups' answers by URL; `advance` given those answers uses them
instead of asking again. A lookup whose URL depends on what only the transaction knows (say, the
protocol number) simply is not among them, and is made in the transaction as before."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, time
from typing import Any

import httpx

from atende.db.base import utcnow
from atende.flows import actions as act
from atende.flows.interpreter import FlowState, Step, advance
from atende.flows.model import Flow, HttpLookup
from atende.ops.calendar import BusinessCalendar, WorkingHours, around_the_clock, nine_to_five

log = logging.getLogger(__name__)

# Bounds how many effects one input may trigger, whatever the flow says.
MAX_EFFECTS = 16

LookupAnswers = dict[str, Mapping[str, Any] | None]
"""Lookups already made, by URL: the JSON object, or None when it failed."""


def default_calendars() -> dict[str, BusinessCalendar]:
    """By name: "atendimento" (Monday to Saturday 08:00-20:00 in São Paulo, closed on public
    holidays), "9x5" (the support contract's hours) and "24x7" (always open)."""
    hours = WorkingHours(opens=time(8), closes=time(20), weekdays=frozenset(range(6)))
    return {
        "atendimento": nine_to_five(hours=hours),
        "9x5": nine_to_five(),
        "24x7": around_the_clock(),
    }


class FlowRunner:
    def __init__(
        self,
        calendars: Mapping[str, BusinessCalendar] | None = None,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.calendars = dict(calendars) if calendars is not None else default_calendars()
        self.http = http
        self.clock = clock

    async def advance(
        self,
        flow: Flow,
        state: FlowState,
        given: act.Input,
        answers: LookupAnswers | None = None,
    ) -> Step:
        """The flow's next step; lookups found in `answers` are not made again, and those
        made are added to it."""
        step = advance(flow, state, given)
        shown: list[act.Action] = []
        for _ in range(MAX_EFFECTS):
            effect = step.waiting_for_effect
            shown.extend(step.actions[:-1] if effect is not None else step.actions)
            if effect is None:
                return Step(step.state, tuple(shown))
            outcome = await self._perform(effect, answers)
            step = advance(flow, step.state, outcome)
        raise RuntimeError(f"flow {flow.name!r} asked for more than {MAX_EFFECTS} effects")

    async def prefetch(self, flow: Flow, state: FlowState, given: act.Input) -> LookupAnswers:
        """The lookups `given` leads to from `state`, made now (the step itself is dropped)."""
        answers: LookupAnswers = {}
        if any(isinstance(node, HttpLookup) for node in flow.nodes.values()):
            await self.advance(flow, state, given, answers)
        return answers

    async def _perform(
        self, effect: act.CheckHours | act.Lookup, answers: LookupAnswers | None
    ) -> act.Input:
        if isinstance(effect, act.CheckHours):
            calendar = self.calendars.get(effect.calendar)
            if calendar is None:
                # An unknown calendar must not lock customers out: treat it as open.
                log.warning("flow names unknown calendar %r; treating it as open", effect.calendar)
                return act.HoursChecked(open=True)
            return act.HoursChecked(open=calendar.is_open(self.clock()))
        if answers is not None and effect.url in answers:
            return act.LookedUp(answers[effect.url])
        data = await self._lookup(effect)
        if answers is not None:
            answers[effect.url] = data
        return act.LookedUp(data)

    async def _lookup(self, effect: act.Lookup) -> Mapping[str, Any] | None:
        client = self.http or httpx.AsyncClient()
        try:
            response = await client.get(effect.url, timeout=effect.timeout)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.info("caller lookup failed (%s); using the fallback", exc.__class__.__name__)
            return None
        finally:
            if self.http is None:
                await client.aclose()
        return data if isinstance(data, dict) else None
