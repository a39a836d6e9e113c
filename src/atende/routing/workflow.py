"""Workflow configuration: parsing, validation and the walk from one routing step to the next.

A configuration is TaskRouter's JSON document::

    {"task_routing": {
        "filters": [{"filter_friendly_name": "...", "expression": "...",
                     "targets": [{"queue": "WQ...", "expression": "...", "priority": 10,
                                  "timeout": 30, "order_by": "...", "skip_if": "...",
                                  "known_worker_sid": "task.agent"}]}],
        "default_filter": {"queue": "WQ..."}}}

Rules kept from TaskRouter (docs "Workflows Overview", "Skipping based on Worker
availability"): filters are tried top-down and the first whose expression matches the task
wins; targets are tried in order and later targets inherit the queue of earlier ones; a target
is left by its ``timeout`` (measured against the task's age) or by ``skip_if``; after the last
target of a filter a timeout continues with the next *matching* filter, a skip also falls back to
the ``default_filter``; a task that runs out of steps leaves the workflow and is canceled.

Errors name the JSON path at fault, e.g. ``task_routing.filters[1].targets[0].queue: unknown
queue WQ...``, so the HTTP layer can hand them to the user unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from atende.routing.expression import (
    Expression,
    ExpressionError,
    OrderBy,
    compile_expression,
    compile_order_by,
)
from atende.routing.model import DEFAULT_FILTER_INDEX

Position = tuple[int, int]
"""(filter index, target index); the default filter is ``(DEFAULT_FILTER_INDEX, 0)``."""

DEFAULT_POSITION: Final[Position] = (DEFAULT_FILTER_INDEX, 0)
DEFAULT_FILTER_NAME: Final = "Default Filter"
ROUTING_TARGET_NAME: Final = "RoutingTarget"
"""The filter name reported for the step of a task routed straight to a queue or worker."""

_TASK_PREFIX = "task."
_TOP_KEYS = frozenset({"task_routing"})
_ROUTING_KEYS = frozenset({"filters", "default_filter"})
_FILTER_KEYS = frozenset({"filter_friendly_name", "expression", "targets"})
_TARGET_KEYS = frozenset(
    {
        "queue",
        "expression",
        "priority",
        "timeout",
        "order_by",
        "skip_if",
        "known_worker_sid",
        "known_worker_friendly_name",
    }
)
_DEFAULT_FILTER_KEYS = _TARGET_KEYS - {"timeout", "skip_if"}


class WorkflowConfigurationError(ValueError):
    """A workflow configuration that cannot be used; ``path`` locates the offending value."""

    path: str
    reason: str

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True, slots=True)
class KnownWorker:
    """The worker a target is restricted to: a literal, or a ``task.<attribute>`` reference."""

    source: str
    by_friendly_name: bool
    literal: str | None
    task_path: tuple[str, ...]

    def resolve(self, task_attributes: Mapping[str, Any]) -> str | None:
        if self.literal is not None:
            return self.literal
        value: Any = task_attributes
        for segment in self.task_path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(segment)
        return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class WorkflowTarget:
    """A routing step, with the queue already inherited from earlier steps."""

    path: str
    position: Position
    filter_friendly_name: str
    queue_sid: str
    expression: Expression | None
    priority: int | None
    timeout: int | None
    order_by: OrderBy | None
    skip_if: Expression | None
    known_worker: KnownWorker | None
    restricted: bool = field(init=False, repr=False, compare=False)
    """Whether only some of the queue's workers may take the task at this step (a target
    expression or a known worker)."""
    match_data: Mapping[str, Any] = field(init=False, repr=False, compare=False)
    """What ``workflow.target-matched`` reports about this step (built once: it is reported
    for every task entering the step)."""

    def __post_init__(self) -> None:
        data = {
            "filter_friendly_name": self.filter_friendly_name,
            "filter_index": self.position[0],
            "target_index": self.position[1],
            "target_queue_sid": self.queue_sid,
            "target_expression": None if self.expression is None else self.expression.source,
        }
        object.__setattr__(self, "match_data", MappingProxyType(data))
        restricted = self.expression is not None or self.known_worker is not None
        object.__setattr__(self, "restricted", restricted)


@dataclass(frozen=True, slots=True)
class WorkflowFilter:
    friendly_name: str
    expression: Expression
    targets: tuple[WorkflowTarget, ...]
    matches_all: bool = field(init=False, repr=False, compare=False)
    uses_task_scope: bool = field(init=False, repr=False, compare=False)
    """Whether the expression may say ``task.``: only then is the scope built for it (every
    task entering the workflow is matched against the filters)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "matches_all", self.expression.is_wildcard)
        object.__setattr__(self, "uses_task_scope", _TASK_PREFIX in self.expression.source)


@dataclass(frozen=True, slots=True)
class WorkflowConfiguration:
    source: str
    filters: tuple[WorkflowFilter, ...]
    default_target: WorkflowTarget | None

    @property
    def queue_sids(self) -> frozenset[str]:
        return frozenset(self.queues_in_order)

    @property
    def queues_in_order(self) -> tuple[str, ...]:
        """The queues of the steps, top-down (the default filter's last), without repeats."""
        sids = [target.queue_sid for flt in self.filters for target in flt.targets]
        if self.default_target is not None:
            sids.append(self.default_target.queue_sid)
        return tuple(dict.fromkeys(sids))

    def target(self, position: Position) -> WorkflowTarget:
        filter_index, target_index = position
        if filter_index == DEFAULT_FILTER_INDEX:
            if self.default_target is None:
                raise IndexError("workflow has no default filter")
            return self.default_target
        return self.filters[filter_index].targets[target_index]

    def has_position(self, position: Position) -> bool:
        filter_index, target_index = position
        if filter_index == DEFAULT_FILTER_INDEX:
            return self.default_target is not None and target_index == 0
        return 0 <= filter_index < len(self.filters) and 0 <= target_index < len(
            self.filters[filter_index].targets
        )

    def entry_position(self, task_attributes: Mapping[str, Any]) -> Position | None:
        """Where a task enters: the first matching filter, else the default filter."""
        position = self._matching_filter(task_attributes, 0)
        if position is None and self.default_target is not None:
            return DEFAULT_POSITION
        return position

    def after_timeout(
        self, position: Position, task_attributes: Mapping[str, Any]
    ) -> Position | None:
        """The next step once ``position`` timed out; None means the task leaves the workflow.

        The default filter is not a "next filter" for a timeout: it only catches tasks that
        match (or skip) no filter at all.
        """
        filter_index, target_index = position
        if filter_index == DEFAULT_FILTER_INDEX:
            return None
        if target_index + 1 < len(self.filters[filter_index].targets):
            return (filter_index, target_index + 1)
        return self._matching_filter(task_attributes, filter_index + 1)

    def after_skip(self, position: Position, task_attributes: Mapping[str, Any]) -> Position | None:
        """The next step once ``position`` was skipped by its ``skip_if``."""
        filter_index, target_index = position
        if filter_index == DEFAULT_FILTER_INDEX:
            return None
        if target_index + 1 < len(self.filters[filter_index].targets):
            return (filter_index, target_index + 1)
        following = self._matching_filter(task_attributes, filter_index + 1)
        if following is None and self.default_target is not None:
            return DEFAULT_POSITION
        return following

    def _matching_filter(self, task_attributes: Mapping[str, Any], start: int) -> Position | None:
        filters = self.filters
        for index in range(start, len(filters)):
            candidate = filters[index]
            if candidate.matches_all:
                return (index, 0)
            scopes = {"task": task_attributes} if candidate.uses_task_scope else None
            if candidate.expression.matches(task_attributes, scopes):
                return (index, 0)
        return None


def direct_configuration(queue_sid: str, worker_sid: str | None) -> WorkflowConfiguration:
    """The one routing step of a task created with a ``RoutingTarget``: wait in ``queue_sid``
    (for ``worker_sid`` alone, if given) with no timeout, past any workflow filter."""
    known = None
    if worker_sid is not None:
        known = KnownWorker(worker_sid, by_friendly_name=False, literal=worker_sid, task_path=())
    target = WorkflowTarget(
        path=ROUTING_TARGET_NAME,
        position=DEFAULT_POSITION,
        filter_friendly_name=ROUTING_TARGET_NAME,
        queue_sid=queue_sid,
        expression=None,
        priority=None,
        timeout=None,
        order_by=None,
        skip_if=None,
        known_worker=known,
    )
    return WorkflowConfiguration(source="", filters=(), default_target=target)


def parse_workflow_configuration(
    document: str | Mapping[str, Any], known_queue_sids: Collection[str] | None = None
) -> WorkflowConfiguration:
    """Parse and validate a configuration; ``known_queue_sids`` (if given) checks queue SIDs."""
    if isinstance(document, str):
        source = document
        try:
            data: Any = json.loads(document)
        except json.JSONDecodeError as error:
            raise WorkflowConfigurationError("configuration", f"invalid JSON: {error}") from None
    else:
        data = document
        source = json.dumps(document)
    root = _object(data, "configuration", _TOP_KEYS)
    routing = _object(root.get("task_routing"), "task_routing", _ROUTING_KEYS)
    raw_filters = routing.get("filters", [])
    if not isinstance(raw_filters, list):
        raise WorkflowConfigurationError("task_routing.filters", "must be a list")
    parser = _Parser(known_queue_sids)
    filters = tuple(parser.filter(raw, index) for index, raw in enumerate(raw_filters))
    default_target = None
    if "default_filter" in routing:
        path = "task_routing.default_filter"
        raw_default = _object(routing["default_filter"], path, _DEFAULT_FILTER_KEYS)
        default_target = parser.target(
            raw_default, path, DEFAULT_POSITION, DEFAULT_FILTER_NAME, inherited_queue=None
        )
    if not filters and default_target is None:
        raise WorkflowConfigurationError("task_routing", "needs filters or a default_filter")
    return WorkflowConfiguration(source=source, filters=filters, default_target=default_target)


class _Parser:
    def __init__(self, known_queue_sids: Collection[str] | None) -> None:
        self._known = None if known_queue_sids is None else frozenset(known_queue_sids)

    def filter(self, raw: Any, index: int) -> WorkflowFilter:
        path = f"task_routing.filters[{index}]"
        data = _object(raw, path, _FILTER_KEYS)
        name = data.get("filter_friendly_name", "")
        if not isinstance(name, str):
            raise WorkflowConfigurationError(f"{path}.filter_friendly_name", "must be a string")
        if "expression" not in data:
            raise WorkflowConfigurationError(f"{path}.expression", "is required")
        expression = _expression(data["expression"], f"{path}.expression")
        raw_targets = data.get("targets")
        if not isinstance(raw_targets, list) or not raw_targets:
            raise WorkflowConfigurationError(f"{path}.targets", "must be a non-empty list")
        targets: list[WorkflowTarget] = []
        queue: str | None = None
        for target_index, raw_target in enumerate(raw_targets):
            target_path = f"{path}.targets[{target_index}]"
            target = self.target(
                _object(raw_target, target_path, _TARGET_KEYS),
                target_path,
                (index, target_index),
                name,
                inherited_queue=queue,
            )
            queue = target.queue_sid
            targets.append(target)
        return WorkflowFilter(friendly_name=name, expression=expression, targets=tuple(targets))

    def target(
        self,
        data: Mapping[str, Any],
        path: str,
        position: Position,
        filter_name: str,
        inherited_queue: str | None,
    ) -> WorkflowTarget:
        queue = self._queue(data, path, inherited_queue)
        expression = None
        if "expression" in data:
            compiled = _expression(data["expression"], f"{path}.expression")
            expression = None if compiled.is_wildcard else compiled
        order_by = None
        if "order_by" in data:
            order_by = _order_by(data["order_by"], f"{path}.order_by")
        skip_if = None
        if "skip_if" in data:
            skip_if = _expression(data["skip_if"], f"{path}.skip_if")
        return WorkflowTarget(
            path=path,
            position=position,
            filter_friendly_name=filter_name,
            queue_sid=queue,
            expression=expression,
            priority=_integer(data, "priority", path, minimum=0),
            timeout=_integer(data, "timeout", path, minimum=1),
            order_by=order_by,
            skip_if=skip_if,
            known_worker=_known_worker(data, path),
        )

    def _queue(self, data: Mapping[str, Any], path: str, inherited: str | None) -> str:
        if "queue" not in data:
            if inherited is None:
                raise WorkflowConfigurationError(f"{path}.queue", "is required")
            return inherited
        queue = data["queue"]
        if not isinstance(queue, str) or not queue:
            raise WorkflowConfigurationError(f"{path}.queue", "must be a TaskQueue SID")
        if self._known is not None and queue not in self._known:
            raise WorkflowConfigurationError(f"{path}.queue", f"unknown queue {queue}")
        return queue


def _object(value: Any, path: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WorkflowConfigurationError(path, "must be an object")
    for key in value:
        if key not in allowed:
            raise WorkflowConfigurationError(f"{path}.{key}", "is not a known field")
    return value


def _expression(value: Any, path: str) -> Expression:
    if not isinstance(value, str):
        raise WorkflowConfigurationError(path, "must be a string")
    try:
        return compile_expression(value)
    except ExpressionError as error:
        raise WorkflowConfigurationError(path, str(error)) from None


def _order_by(value: Any, path: str) -> OrderBy:
    if not isinstance(value, str):
        raise WorkflowConfigurationError(path, "must be a string")
    try:
        return compile_order_by(value)
    except ExpressionError as error:
        raise WorkflowConfigurationError(path, str(error)) from None


def _integer(data: Mapping[str, Any], key: str, path: str, minimum: int) -> int | None:
    """TaskRouter accepts numbers and numeric strings ("priority": "10") here."""
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise WorkflowConfigurationError(f"{path}.{key}", "must be an integer")
    if value < minimum:
        raise WorkflowConfigurationError(f"{path}.{key}", f"must be at least {minimum}")
    return value


def _known_worker(data: Mapping[str, Any], path: str) -> KnownWorker | None:
    by_sid = "known_worker_sid" in data
    by_name = "known_worker_friendly_name" in data
    if by_sid and by_name:
        raise WorkflowConfigurationError(
            f"{path}.known_worker_friendly_name", "cannot be combined with known_worker_sid"
        )
    if not (by_sid or by_name):
        return None
    key = "known_worker_friendly_name" if by_name else "known_worker_sid"
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise WorkflowConfigurationError(f"{path}.{key}", "must be a non-empty string")
    value = value.strip()
    if value.startswith(_TASK_PREFIX):
        task_path = tuple(value[len(_TASK_PREFIX) :].split("."))
        if not all(task_path):
            raise WorkflowConfigurationError(f"{path}.{key}", f"invalid task reference {value}")
        return KnownWorker(value, by_friendly_name=by_name, literal=None, task_path=task_path)
    return KnownWorker(value, by_friendly_name=by_name, literal=value, task_path=())
