"""Turning a flow document (JSON) into a checked `Flow`, with errors that name the field.

Besides the shape, a flow is checked against Brazil's SAC rules (Decreto 11.034/2022) before it
can reach a customer: the first menu offers complaint and cancellation, and no question asks for
a CPF before a person is reached (every question in a flow is before the hand-off). A chat flow
that asks anything also needs that menu (`check_chat_sac`): typing either option leads there."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from atende.errors import Problem
from atende.flows.model import (
    DEFAULT_LANGUAGE,
    BusinessHours,
    Callback,
    Flow,
    Handoff,
    Hangup,
    HttpLookup,
    Menu,
    MenuOption,
    Node,
    Question,
    Say,
    Text,
    Voicemail,
)

MAX_LOOKUP_TIMEOUT = 5.0
KEY = re.compile(r"^[0-9*#]{1,3}$")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
PERSONAL_DOCUMENT = re.compile(r"cpf|cnpj|rg\b|documento", re.IGNORECASE)
REQUIRED_FIRST_MENU_INTENTS = ("complaint", "cancellation")


class FlowError(ValueError):
    """A flow document that cannot run; `path` points at the offending field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def load_flow(document: Mapping[str, Any], *, sac: bool = True) -> Flow:
    """Parse and check a flow; `sac=False` skips the SAC rules (e.g. an internal test line)."""
    if not isinstance(document, Mapping):
        raise FlowError("$", "a flow is a JSON object")
    name = _string(document, "name", "$")
    start = _string(document, "start", "$")
    raw_nodes = document.get("nodes")
    if not isinstance(raw_nodes, Mapping) or not raw_nodes:
        raise FlowError("$.nodes", "must be a non-empty object of named nodes")
    nodes: dict[str, Node] = {}
    for node_name, raw in raw_nodes.items():
        path = f"$.nodes.{node_name}"
        if not isinstance(node_name, str) or not NAME.match(node_name):
            raise FlowError(path, "node names are letters, digits, '_', '-' or '.'")
        nodes[node_name] = _node(raw, path)
    languages = tuple(document.get("languages") or (DEFAULT_LANGUAGE, "en"))
    flow = Flow(name=name, start=start, nodes=nodes, languages=languages)
    _check_references(flow)
    if sac:
        check_sac(flow)
    return flow


def _node(raw: Any, path: str) -> Node:
    if not isinstance(raw, Mapping):
        raise FlowError(path, "a node is a JSON object")
    kind = raw.get("type")
    if kind == "say":
        return Say(text=_text(raw, "text", path), next=_string(raw, "next", path))
    if kind == "menu":
        return _menu(raw, path)
    if kind == "question":
        question_kind = raw.get("kind", "text")
        if question_kind not in ("text", "digits"):
            raise FlowError(f"{path}.kind", "must be 'text' or 'digits'")
        return Question(
            prompt=_text(raw, "prompt", path),
            attribute=_name(raw, "attribute", path),
            next=_string(raw, "next", path),
            kind=question_kind,
            max_length=_int(raw, "max_length", path, 200, low=1, high=2000),
        )
    if kind == "business_hours":
        return BusinessHours(
            calendar=_string(raw, "calendar", path),
            open=_string(raw, "open", path),
            closed=_string(raw, "closed", path),
        )
    if kind == "http_lookup":
        return _lookup(raw, path)
    if kind == "voicemail":
        return Voicemail(
            prompt=_text(raw, "prompt", path),
            next=_string(raw, "next", path),
            max_seconds=_int(raw, "max_seconds", path, 120, low=5, high=600),
        )
    if kind == "callback":
        return Callback(
            text=_optional_text(raw, "text", path),
            next=_string(raw, "next", path),
            attributes=_mapping(raw, "attributes", path),
        )
    if kind == "handoff":
        priority = raw.get("priority")
        timeout = raw.get("timeout")
        return Handoff(
            text=_optional_text(raw, "text", path),
            workflow_sid=raw.get("workflow_sid") or None,
            attributes=_mapping(raw, "attributes", path),
            priority=None if priority is None else _int(raw, "priority", path, 0, low=0),
            timeout=None if timeout is None else _int(raw, "timeout", path, 0, low=1),
        )
    if kind == "hangup":
        return Hangup(text=_optional_text(raw, "text", path))
    raise FlowError(f"{path}.type", f"unknown node type {kind!r}")


def _menu(raw: Mapping[str, Any], path: str) -> Menu:
    raw_options = raw.get("options")
    if not isinstance(raw_options, list) or not raw_options:
        raise FlowError(f"{path}.options", "a menu needs at least one option")
    options: list[MenuOption] = []
    for index, option in enumerate(raw_options):
        where = f"{path}.options[{index}]"
        if not isinstance(option, Mapping):
            raise FlowError(where, "an option is a JSON object")
        key = _string(option, "key", where)
        if not KEY.match(key):
            raise FlowError(f"{where}.key", "keys are one to three phone keys (0-9, * or #)")
        options.append(
            MenuOption(
                key=key,
                value=_string(option, "value", where),
                label=_text(option, "label", where),
                next=_string(option, "next", where),
                attributes=_mapping(option, "attributes", where),
                intent=option.get("intent") or None,
            )
        )
    keys = [option.key for option in options]
    if len(set(keys)) != len(keys):
        raise FlowError(f"{path}.options", "two options share a key")
    return Menu(
        prompt=_text(raw, "prompt", path),
        options=tuple(options),
        attribute=_name(raw, "attribute", path),
        on_failure=_string(raw, "on_failure", path),
        invalid=_optional_text(raw, "invalid", path),
        retries=_int(raw, "retries", path, 2, low=0, high=5),
    )


def _lookup(raw: Mapping[str, Any], path: str) -> HttpLookup:
    url = _string(raw, "url", path)
    if not url.startswith(("http://", "https://")):
        raise FlowError(f"{path}.url", "must be an http(s) URL")
    timeout = raw.get("timeout", 2.0)
    if not isinstance(timeout, int | float) or not 0 < timeout <= MAX_LOOKUP_TIMEOUT:
        limit = f"must be a number of seconds up to {MAX_LOOKUP_TIMEOUT}"
        raise FlowError(f"{path}.timeout", limit)
    return HttpLookup(
        url=url,
        attribute=_name(raw, "attribute", path),
        next=_string(raw, "next", path),
        timeout=float(timeout),
        fallback=_mapping(raw, "fallback", path),
    )


def _check_references(flow: Flow) -> None:
    if flow.start not in flow.nodes:
        raise FlowError("$.start", f"no node named {flow.start!r}")
    for name, node in flow.nodes.items():
        for field_name, target in _targets(node):
            if target not in flow.nodes:
                raise FlowError(f"$.nodes.{name}.{field_name}", f"no node named {target!r}")


def _targets(node: Node) -> list[tuple[str, str]]:
    if isinstance(node, Say | Question | HttpLookup | Voicemail | Callback):
        return [("next", node.next)]
    if isinstance(node, BusinessHours):
        return [("open", node.open), ("closed", node.closed)]
    if isinstance(node, Menu):
        targets = [(f"options[{i}].next", option.next) for i, option in enumerate(node.options)]
        return [*targets, ("on_failure", node.on_failure)]
    return []


def first_menu(flow: Flow) -> tuple[str, Menu] | None:
    """The first menu a caller can reach when the company is open (breadth-first)."""
    seen: set[str] = set()
    frontier = [flow.start]
    while frontier:
        name = frontier.pop(0)
        if name in seen:
            continue
        seen.add(name)
        node = flow.nodes[name]
        if isinstance(node, Menu):
            return name, node
        if isinstance(node, BusinessHours):
            frontier.append(node.open)
            continue
        frontier.extend(target for _, target in _targets(node))
    return None


def check_sac(flow: Flow) -> None:
    """Decreto 11.034/2022: complaint and cancellation in the first menu; no CPF before a person."""
    found = first_menu(flow)
    if found is not None:
        name, menu = found
        intents = {option.intent for option in menu.options}
        for intent in REQUIRED_FIRST_MENU_INTENTS:
            if intent not in intents:
                raise FlowError(
                    f"$.nodes.{name}.options",
                    f"the first menu must offer an option with intent {intent!r} (SAC)",
                )
    for node_name, node in flow.nodes.items():
        if isinstance(node, Question) and _asks_document(node):
            raise FlowError(
                f"$.nodes.{node_name}",
                "a CPF or other document may not be asked before a person is reached (SAC)",
            )


def check_chat_sac(flow: Flow) -> None:
    """A chat customer who types cancellation or complaint at any question is taken to that
    option of the first menu (SAC: reachable at every step), so a chat flow that asks anything
    needs such a menu; one that only greets and hands over reaches a person at once."""
    if first_menu(flow) is not None:
        return
    for node_name, node in flow.nodes.items():
        if isinstance(node, Question):
            raise FlowError(
                f"$.nodes.{node_name}",
                "a chat flow that asks questions needs a menu offering complaint and "
                "cancellation, where typing either at any question leads (SAC)",
            )


def _asks_document(question: Question) -> bool:
    texts = [question.attribute, *question.prompt.by_language.values()]
    return any(PERSONAL_DOCUMENT.search(text) for text in texts)


def _string(raw: Mapping[str, Any], key: str, path: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise FlowError(f"{path}.{key}", "is required and must be a non-empty string")
    return value


def _name(raw: Mapping[str, Any], key: str, path: str) -> str:
    value = _string(raw, key, path)
    if not NAME.match(value):
        raise FlowError(f"{path}.{key}", "must be an attribute name (letters, digits, '_')")
    return value


def _text(raw: Mapping[str, Any], key: str, path: str) -> Text:
    value = raw.get(key)
    if isinstance(value, str) and value.strip():
        return Text({DEFAULT_LANGUAGE: value})
    if isinstance(value, Mapping) and isinstance(value.get(DEFAULT_LANGUAGE), str):
        if not all(isinstance(text, str) for text in value.values()):
            raise FlowError(f"{path}.{key}", "every translation must be a string")
        return Text(dict(value))
    wanted = f"must be a string or an object with a {DEFAULT_LANGUAGE} text"
    raise FlowError(f"{path}.{key}", wanted)


def _optional_text(raw: Mapping[str, Any], key: str, path: str) -> Text | None:
    return None if raw.get(key) in (None, "") else _text(raw, key, path)


def _mapping(raw: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, Mapping):
        raise FlowError(f"{path}.{key}", "must be a JSON object")
    return dict(value)


def _int(
    raw: Mapping[str, Any],
    key: str,
    path: str,
    default: int,
    *,
    low: int | None = None,
    high: int | None = None,
) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FlowError(f"{path}.{key}", "must be an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        raise FlowError(f"{path}.{key}", f"must be between {low} and {high}")
    return value


def check_document(
    document: Mapping[str, Any] | None, load: Callable[[Mapping[str, Any]], object] = load_flow
) -> None:
    """A flow an admin gave a channel or number (None: the default), refused with 422 naming
    the field when `load` does not take it: nothing is saved."""
    if document is None:
        return
    try:
        load(document)
    except FlowError as error:
        raise Problem(422, "Invalid flow", f"flow{error.path[1:]}: {error.message}") from error
