"""The flow interpreter: a pure state machine shared by voice and chat.

    state = FlowState.begin({"protocol": "20261124000042", "from": "+5511..."})
    step = advance(flow, state, Start())   # -> Step(state, actions)
    # render step.actions; when the contact answers:
    step = advance(flow, step.state, Reply("7"))

`advance` moves through nodes that need nothing from the contact (say, callback) and stops at the
first node that waits: for the contact (menu, question, voicemail) or for an effect (CheckHours,
Lookup), whose outcome comes back as the next input (HoursChecked, LookedUp). `FlowState` is a
small JSON-able value, so a channel stores it with the call or conversation between webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from atende.flows import actions as act
from atende.flows.model import (
    DEFAULT_LANGUAGE,
    BusinessHours,
    Callback,
    Flow,
    Handoff,
    Hangup,
    HttpLookup,
    Menu,
    Node,
    Question,
    Say,
    Text,
    Voicemail,
)

# A flow whose non-waiting nodes form a cycle would never stop; no real flow needs this many.
MAX_STEPS = 64
INVALID_CHOICE = Text(
    {DEFAULT_LANGUAGE: "Opção inválida.", "en": "That is not one of the options."}
)
NO_CHOICE = Text(
    {DEFAULT_LANGUAGE: "Não recebemos sua opção.", "en": "We did not get your choice."}
)


class FlowLoopError(RuntimeError):
    """The flow went round nodes that never wait; a configuration error found at run time."""


@dataclass(frozen=True)
class FlowState:
    """Where a contact stands: the node it waits at (None once finished) and what it told us."""

    node: str | None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    attempts: int = 0
    language: str = DEFAULT_LANGUAGE
    started: bool = False

    @classmethod
    def begin(cls, attributes: Mapping[str, Any], language: str = DEFAULT_LANGUAGE) -> FlowState:
        return cls(node=None, attributes=dict(attributes), language=language)

    @property
    def finished(self) -> bool:
        return self.started and self.node is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "attributes": dict(self.attributes),
            "attempts": self.attempts,
            "language": self.language,
            "started": self.started,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FlowState:
        return cls(
            node=data.get("node"),
            attributes=dict(data.get("attributes") or {}),
            attempts=int(data.get("attempts", 0)),
            language=str(data.get("language", DEFAULT_LANGUAGE)),
            started=bool(data.get("started", False)),
        )


@dataclass(frozen=True)
class Step:
    state: FlowState
    actions: tuple[act.Action, ...]

    @property
    def waiting_for_effect(self) -> act.CheckHours | act.Lookup | None:
        last = self.actions[-1] if self.actions else None
        return last if isinstance(last, act.CheckHours | act.Lookup) else None


def variables(state: FlowState) -> dict[str, Any]:
    """Attributes plus spellings a voice needs: the protocol read digit by digit."""
    values = dict(state.attributes)
    protocol = values.get("protocol")
    if protocol:
        values["protocol_digits"] = " ".join(str(protocol))
    return values


def advance(flow: Flow, state: FlowState, given: act.Input) -> Step:
    """The next state and what to render, given the contact's (or an effect's) input."""
    if isinstance(given, act.Start):
        if state.started:
            return Step(state, _current_wait(flow, state))
        return _enter(flow, replace(state, started=True), flow.start, [])
    if state.node is None:
        return Step(state, ())
    node = flow.node(state.node)
    if isinstance(node, Menu) and isinstance(given, act.Reply | act.NoReply):
        return _choose(flow, state, node, given)
    if isinstance(node, Question) and isinstance(given, act.Reply):
        answer = _clean_answer(node, given.text)
        return _enter(flow, _with(state, {node.attribute: answer}), node.next, [])
    if isinstance(node, Question) and isinstance(given, act.NoReply):
        return _enter(flow, state, node.next, [])
    if isinstance(node, Voicemail) and isinstance(given, act.Recorded):
        left = {"voicemail_url": given.url, "voicemail_seconds": given.seconds}
        return _enter(flow, _with(state, left), node.next, [])
    if isinstance(node, BusinessHours) and isinstance(given, act.HoursChecked):
        target = node.open if given.open else node.closed
        return _enter(flow, _with(state, {"business_hours": given.open}), target, [])
    if isinstance(node, HttpLookup) and isinstance(given, act.LookedUp):
        found = given.data is not None
        data = dict(given.data) if given.data is not None else dict(node.fallback)
        update = {node.attribute: data, f"{node.attribute}_found": found}
        return _enter(flow, _with(state, update), node.next, [])
    # Not what this node waits for (a replayed webhook, a stray message): ask again.
    return Step(state, _current_wait(flow, state))


def _choose(flow: Flow, state: FlowState, menu: Menu, given: act.Reply | act.NoReply) -> Step:
    option = menu.option_for(given.text) if isinstance(given, act.Reply) else None
    if option is not None:
        chosen = {**option.attributes, menu.attribute: option.value}
        return _enter(flow, _with(state, chosen), option.next, [])
    attempts = state.attempts + 1
    if attempts > menu.retries:
        return _enter(flow, state, menu.on_failure, [])
    complaint = menu.invalid or INVALID_CHOICE
    if isinstance(given, act.NoReply):
        complaint = NO_CHOICE
    retried = replace(state, attempts=attempts)
    said = act.Say(complaint.render(state.language, variables(state)))
    return Step(retried, (said, _prompt(menu, retried)))


def _enter(flow: Flow, state: FlowState, name: str, actions: list[act.Action]) -> Step:
    for _ in range(MAX_STEPS):
        node = flow.node(name)
        state = replace(state, node=name, attempts=0)
        if isinstance(node, Say):
            actions.append(act.Say(_render(node.text, state)))
            name = node.next
            continue
        if isinstance(node, Callback):
            if node.text is not None:
                actions.append(act.Say(_render(node.text, state)))
            state = _with(state, {**node.attributes, "callback_requested": True})
            actions.append(act.RequestCallback(dict(state.attributes)))
            name = node.next
            continue
        if isinstance(node, Handoff | Hangup):
            return _finish(state, node, actions)
        actions.append(_wait_action(node, state))
        return Step(state, tuple(actions))
    raise FlowLoopError(f"flow {flow.name!r} runs in circles without waiting near {name!r}")


def _finish(state: FlowState, node: Handoff | Hangup, actions: list[act.Action]) -> Step:
    if node.text is not None:
        actions.append(act.Say(_render(node.text, state)))
    if isinstance(node, Handoff):
        attributes = {**state.attributes, **node.attributes}
        state = replace(state, attributes=attributes)
        actions.append(act.Handoff(attributes, node.workflow_sid, node.priority, node.timeout))
    else:
        actions.append(act.Hangup())
    return Step(replace(state, node=None), tuple(actions))


def _wait_action(node: Node, state: FlowState) -> act.Action:
    if isinstance(node, Menu):
        return _prompt(node, state)
    if isinstance(node, Question):
        return act.Ask(_render(node.prompt, state), node.attribute, node.kind, node.max_length)
    if isinstance(node, Voicemail):
        return act.Record(_render(node.prompt, state), node.max_seconds)
    if isinstance(node, BusinessHours):
        return act.CheckHours(node.calendar)
    if isinstance(node, HttpLookup):
        quoted = {key: quote(str(value), safe="") for key, value in state.attributes.items()}
        return act.Lookup(Text({DEFAULT_LANGUAGE: node.url}).render("", quoted), node.timeout)
    raise AssertionError(f"{node!r} does not wait")  # pragma: no cover


def _current_wait(flow: Flow, state: FlowState) -> tuple[act.Action, ...]:
    if state.node is None:
        return ()
    return (_wait_action(flow.node(state.node), state),)


def _prompt(menu: Menu, state: FlowState) -> act.Prompt:
    options = tuple(
        act.PromptOption(option.key, option.value, _render(option.label, state))
        for option in menu.options
    )
    return act.Prompt(_render(menu.prompt, state), options)


def _render(text: Text, state: FlowState) -> str:
    return text.render(state.language, variables(state))


def _with(state: FlowState, update: Mapping[str, Any]) -> FlowState:
    return replace(state, attributes={**state.attributes, **update})


def _clean_answer(question: Question, text: str) -> str:
    answer = text.strip()
    if question.kind == "digits":
        answer = "".join(char for char in answer if char.isdigit())
    return answer[: question.max_length]
