"""The bot before the agent: the shared flow interpreter, rendered as chat messages.

Menus become interactive buttons (three options or fewer) or a list on WhatsApp and the web
chat, and numbered text on SMS and Twilio WhatsApp, where the customer answers with the number.
Cancellation and complaint stay reachable at any question: typing them jumps there (SAC).

One bot runs every chat flow: the company's default, or the one a WhatsApp number has of its
own, given per turn; each is parsed and checked once (`load_chat_flow`), by whoever keeps it."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from atende.conversations.service import Outgoing
from atende.flows import actions as act
from atende.flows.interpreter import FlowState, Step
from atende.flows.loader import check_chat_sac, first_menu, load_flow
from atende.flows.model import Flow, Menu, Voicemail
from atende.flows.runner import FlowRunner

log = logging.getLogger(__name__)

ALWAYS_REACHABLE = frozenset({"cancellation", "complaint"})
LIST_BUTTON = {"pt-BR": "Ver opções", "en": "See options"}


# An outbound message to queue: type, text and type-specific content.
Draft = Outgoing


@dataclass(frozen=True, slots=True)
class BotTurn:
    state: FlowState
    drafts: tuple[Draft, ...]
    handoff: act.Handoff | None = None
    finished: bool = False


@dataclass(frozen=True, slots=True)
class ChatFlow:
    """A flow ready for chat: checked, with the first menu that cancellation and complaint
    jump to from any question (None when the flow asks nothing before the person)."""

    flow: Flow
    menu: tuple[str, Menu] | None


def load_chat_flow(document: Mapping[str, Any]) -> ChatFlow:
    """Parse and check a chat flow document; a FlowError names what is wrong."""
    flow = load_flow(document)
    check_chat_sac(flow)
    return ChatFlow(flow, first_menu(flow))


class ChatBot:
    def __init__(self, flow: ChatFlow, runner: FlowRunner) -> None:
        self.flow = flow
        self.runner = runner

    async def turn(
        self,
        saved: Mapping[str, Any] | None,
        variables: Mapping[str, Any],
        reply: str | None,
        *,
        interactive: bool,
        language: str = "pt-BR",
        flow: ChatFlow | None = None,
    ) -> BotTurn:
        """One customer message in, the bot's answer out. `saved` is the state kept on the
        conversation; None starts the flow (the conversation's first message). `flow` is the
        conversation's own flow (its WhatsApp number's), None for the default one."""
        chat = flow or self.flow
        state = None if saved is None else FlowState.from_dict(saved)
        if state is not None and state.node is not None and state.node not in chat.flow.nodes:
            # The flow was changed under this conversation: what it waited at is gone.
            log.info("chat flow %s has no node %r: starting it again", chat.flow.name, state.node)
            state = FlowState.begin(state.attributes, language=state.language)
        elif state is None:
            state = FlowState.begin(variables, language=language)
        else:
            step = await self.runner.advance(chat.flow, *_input(chat, state, reply))
            return _turn(step, interactive, language)
        step = await self.runner.advance(chat.flow, state, act.Start())
        return _turn(step, interactive, language)


def _input(chat: ChatFlow, state: FlowState, reply: str | None) -> tuple[FlowState, act.Input]:
    node = chat.flow.nodes.get(state.node) if state.node else None
    if isinstance(node, Voicemail):
        # A chat "voicemail" is the customer's written message, kept in the conversation.
        return state, act.Recorded(url=None, seconds=0)
    if reply is None:
        return state, act.Start()  # a picture where an answer was due: ask again
    shortcut = _shortcut(chat, node, reply)
    if shortcut is not None:
        return replace(state, node=shortcut, attempts=0), act.Reply(reply)
    return state, act.Reply(reply)


def _shortcut(chat: ChatFlow, node: object, reply: str) -> str | None:
    """The first menu's node when the reply names cancellation or complaint anywhere else."""
    if chat.menu is None or isinstance(node, Menu):
        return None
    name, menu = chat.menu
    option = menu.option_for(reply)
    if option is None or option.intent not in ALWAYS_REACHABLE or reply.strip() == option.key:
        return None
    return name


def _turn(step: Step, interactive: bool, language: str) -> BotTurn:
    drafts: list[Draft] = []
    handoff: act.Handoff | None = None
    finished = False
    for action in step.actions:
        if isinstance(action, act.Say | act.Ask | act.Record):
            drafts.append(Draft("text", action.text))
        elif isinstance(action, act.Prompt):
            drafts.append(render_prompt(action, interactive, language))
        elif isinstance(action, act.Handoff):
            handoff = action
        elif isinstance(action, act.Hangup):
            finished = True
    return BotTurn(step.state, tuple(drafts), handoff, finished)


def render_prompt(prompt: act.Prompt, interactive: bool, language: str = "pt-BR") -> Draft:
    if not interactive:
        lines = [prompt.text, *(f"{option.key} - {option.label}" for option in prompt.options)]
        return Draft("text", "\n".join(lines))
    options: Sequence[dict[str, str]] = [
        {"id": option.value, "title": option.label, "key": option.key} for option in prompt.options
    ]
    content: dict[str, Any] = {
        "kind": "button" if len(options) <= 3 else "list",
        "options": list(options),
        "button": LIST_BUTTON.get(language, LIST_BUTTON["pt-BR"]),
    }
    return Draft("interactive", prompt.text, content)
