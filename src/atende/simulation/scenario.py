"""A contact-center day as data: demand per interval, people and shifts, and the routing set-up.

The routing part (queues and the workflow configuration) is TaskRouter's own JSON, the very
documents the live server takes, so a workflow can be tried here before it goes live. A
scenario is a JSON file (or the equivalent dict)::

    {"name": "...", "day_start": "08:00", "interval_minutes": 30,
     "channels": [{"unique_name": "voice", "capacity": 1, "service_level_seconds": 20}],
     "queues": [{"sid": "WQ...", "friendly_name": "...", "target_workers": "skills HAS 'auto'"}],
     "workflow": {"friendly_name": "...", "task_reservation_timeout": 120,
                  "configuration": {"task_routing": {...}}},
     "demand": [{"name": "auto/voz", "channel": "voice", "attributes": {"motivo": "..."},
                 "volumes": [12, 18, ...], "handle_time": {...}, "patience": {...}}],
     "agents": [{"name": "...", "count": 3, "attributes": {"skills": [...]},
                 "channels": {"voice": 1, "whatsapp": 3}, "shifts": [["08:00", "14:00"]]}]}

``volumes`` are expected arrivals per interval starting at ``day_start`` (a workforce
forecast); arrivals within an interval are Poisson. Times of day are "HH:MM" or seconds after
midnight; shifts end by midnight. Durations follow :mod:`atende.simulation.distributions`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from atende.routing.expression import ExpressionError, compile_expression
from atende.routing.model import DEFAULT_RESERVATION_TIMEOUT, MAX_RESERVED_WORKERS, QueueOrder
from atende.routing.workflow import WorkflowConfigurationError, parse_workflow_configuration
from atende.simulation.distributions import Distribution, ScenarioError

DAY = 86_400.0
DEFAULT_ACCEPT_DELAY = Distribution("constant", 2.0)
_ROOT_KEYS = frozenset(
    {"name", "day_start", "interval_minutes", "channels", "queues", "workflow", "demand", "agents"}
)


def stable_sid(prefix: str, name: str) -> str:
    """A TaskRouter-shaped SID derived from a name, so scenarios need not invent SIDs."""
    return prefix + hashlib.sha256(name.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    unique_name: str
    friendly_name: str = ""
    capacity: int = 1
    """Default number of contacts of this channel an agent holds at once."""
    service_level_seconds: float = 20.0
    """A contact of this channel counts as answered in time within this many seconds."""


@dataclass(frozen=True, slots=True)
class QueueSpec:
    sid: str
    friendly_name: str
    target_workers: str = "1==1"
    task_order: QueueOrder = QueueOrder.FIFO
    max_reserved_workers: int = 1


@dataclass(frozen=True, slots=True)
class WorkflowSpec:
    sid: str
    friendly_name: str
    configuration: str
    """TaskRouter's workflow configuration JSON, with the scenario's queue SIDs."""
    task_reservation_timeout: int = DEFAULT_RESERVATION_TIMEOUT


@dataclass(frozen=True, slots=True)
class DemandStream:
    """Contacts sharing a channel, task attributes and forecast."""

    name: str
    channel: str
    attributes: Mapping[str, Any]
    volumes: tuple[float, ...]
    handle_time: Distribution
    patience: Distribution | None = None
    """None: callers wait as long as it takes (no abandonment)."""
    wrap_up: Distribution | None = None
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Shift:
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """``count`` agents alike: same skills, channels and shifts."""

    name: str
    attributes: Mapping[str, Any]
    shifts: tuple[Shift, ...]
    channels: Mapping[str, int] | None = None
    """Capacity per channel; None means every channel at its default capacity."""
    count: int = 1
    accept_delay: Distribution = DEFAULT_ACCEPT_DELAY
    miss_rate: float = 0.0
    """Share of offers the agent lets ring out (the reservation times out)."""

    def names(self) -> list[str]:
        if self.count == 1:
            return [self.name]
        return [f"{self.name} {index}" for index in range(1, self.count + 1)]

    def capacity(self, channel: ChannelSpec) -> int:
        if self.channels is None:
            return channel.capacity
        return self.channels.get(channel.unique_name, 0)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    day_start: float
    interval_seconds: float
    channels: tuple[ChannelSpec, ...]
    queues: tuple[QueueSpec, ...]
    workflow: WorkflowSpec
    demand: tuple[DemandStream, ...]
    agents: tuple[AgentSpec, ...]
    interval_count: int = field(init=False)

    def __post_init__(self) -> None:
        longest = max((len(stream.volumes) for stream in self.demand), default=0)
        object.__setattr__(self, "interval_count", longest)

    @property
    def agent_count(self) -> int:
        return sum(agent.count for agent in self.agents)

    def channel(self, unique_name: str) -> ChannelSpec:
        return next(channel for channel in self.channels if channel.unique_name == unique_name)

    def with_agent_count(self, total: int) -> Scenario:
        """The same team resized to ``total`` agents, each kind of agent keeping its share."""
        if total < 0:
            raise ValueError("the number of agents cannot be negative")
        current = self.agent_count
        if current == 0:
            raise ValueError("the scenario has no agents to resize")
        exact = [agent.count * total / current for agent in self.agents]
        counts = [math.floor(value) for value in exact]
        by_remainder = sorted(
            range(len(exact)), key=lambda index: (counts[index] - exact[index], index)
        )
        for index in by_remainder[: total - sum(counts)]:
            counts[index] += 1
        agents = tuple(
            replace(agent, count=count)
            for agent, count in zip(self.agents, counts, strict=True)
            if count > 0
        )
        return replace(self, agents=agents)

    def to_data(self) -> dict[str, Any]:
        """The scenario as JSON-ready data that :func:`scenario_from_data` reads back."""
        return {
            "name": self.name,
            "day_start": format_time_of_day(self.day_start),
            "interval_minutes": self.interval_seconds / 60,
            "channels": [
                {
                    "unique_name": channel.unique_name,
                    "friendly_name": channel.friendly_name,
                    "capacity": channel.capacity,
                    "service_level_seconds": channel.service_level_seconds,
                }
                for channel in self.channels
            ],
            "queues": [
                {
                    "sid": queue.sid,
                    "friendly_name": queue.friendly_name,
                    "target_workers": queue.target_workers,
                    "task_order": str(queue.task_order),
                    "max_reserved_workers": queue.max_reserved_workers,
                }
                for queue in self.queues
            ],
            "workflow": {
                "sid": self.workflow.sid,
                "friendly_name": self.workflow.friendly_name,
                "task_reservation_timeout": self.workflow.task_reservation_timeout,
                "configuration": json.loads(self.workflow.configuration),
            },
            "demand": [_stream_data(stream) for stream in self.demand],
            "agents": [_agent_data(agent) for agent in self.agents],
        }


def _stream_data(stream: DemandStream) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": stream.name,
        "channel": stream.channel,
        "attributes": dict(stream.attributes),
        "priority": stream.priority,
        "volumes": list(stream.volumes),
        "handle_time": stream.handle_time.to_data(),
    }
    if stream.patience is not None:
        data["patience"] = stream.patience.to_data()
    if stream.wrap_up is not None:
        data["wrap_up"] = stream.wrap_up.to_data()
    return data


def _agent_data(agent: AgentSpec) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": agent.name,
        "count": agent.count,
        "attributes": dict(agent.attributes),
        "shifts": [
            [format_time_of_day(shift.start), format_time_of_day(shift.end)]
            for shift in agent.shifts
        ],
        "accept_delay": agent.accept_delay.to_data(),
        "miss_rate": agent.miss_rate,
    }
    if agent.channels is not None:
        data["channels"] = dict(agent.channels)
    return data


def format_time_of_day(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def load_scenario(path: Path) -> Scenario:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ScenarioError(str(path), f"invalid JSON: {error}") from None
    return scenario_from_data(data)


def scenario_from_data(data: Any) -> Scenario:
    """Validate ``data`` and build the scenario; errors name the JSON path at fault."""
    root = _object(data, "scenario")
    unknown = sorted(set(root) - _ROOT_KEYS)
    if unknown:
        raise ScenarioError(unknown[0], "unknown key")
    interval_minutes = _number(root.get("interval_minutes", 30), "interval_minutes")
    if interval_minutes <= 0:
        raise ScenarioError("interval_minutes", "must be positive")
    day_start = _time_of_day(root.get("day_start", "00:00"), "day_start")
    channels = tuple(
        _channel(raw, f"channels[{index}]")
        for index, raw in enumerate(_list(root.get("channels"), "channels"))
    )
    _unique([channel.unique_name for channel in channels], "channels", "unique_name")
    queues = tuple(
        _queue(raw, f"queues[{index}]")
        for index, raw in enumerate(_list(root.get("queues"), "queues"))
    )
    _unique([queue.sid for queue in queues], "queues", "sid")
    workflow = _workflow(root.get("workflow"), {queue.sid for queue in queues})
    channel_names = {channel.unique_name for channel in channels}
    demand = tuple(
        _stream(raw, f"demand[{index}]", channel_names)
        for index, raw in enumerate(_list(root.get("demand"), "demand"))
    )
    interval_seconds = interval_minutes * 60
    for index, stream in enumerate(demand):
        if day_start + len(stream.volumes) * interval_seconds > DAY + 1e-6:
            raise ScenarioError(f"demand[{index}].volumes", "runs past midnight")
    agents = tuple(
        _agent(raw, f"agents[{index}]", channel_names)
        for index, raw in enumerate(_list(root.get("agents"), "agents"))
    )
    seen: set[str] = set()
    for index, agent in enumerate(agents):
        for name in agent.names():
            if name.lower() in seen:
                raise ScenarioError(f"agents[{index}].name", f"duplicate agent name {name}")
            seen.add(name.lower())
    return Scenario(
        name=_text(root.get("name", "scenario"), "name"),
        day_start=day_start,
        interval_seconds=interval_seconds,
        channels=channels,
        queues=queues,
        workflow=workflow,
        demand=demand,
        agents=agents,
    )


def _channel(raw: Any, path: str) -> ChannelSpec:
    data = _object(raw, path, {"unique_name", "friendly_name", "capacity", "service_level_seconds"})
    unique_name = _text(data.get("unique_name"), f"{path}.unique_name")
    return ChannelSpec(
        unique_name=unique_name,
        friendly_name=_text(data.get("friendly_name", unique_name), f"{path}.friendly_name"),
        capacity=_count(data.get("capacity", 1), f"{path}.capacity"),
        service_level_seconds=_number(
            data.get("service_level_seconds", 20), f"{path}.service_level_seconds"
        ),
    )


def _queue(raw: Any, path: str) -> QueueSpec:
    data = _object(
        raw,
        path,
        {"sid", "friendly_name", "target_workers", "task_order", "max_reserved_workers"},
    )
    name = _text(data.get("friendly_name"), f"{path}.friendly_name")
    target_workers = _text(data.get("target_workers", "1==1"), f"{path}.target_workers")
    try:
        compile_expression(target_workers)
    except ExpressionError as error:
        raise ScenarioError(f"{path}.target_workers", str(error)) from None
    order = data.get("task_order", "FIFO")
    if order not in ("FIFO", "LIFO"):
        raise ScenarioError(f"{path}.task_order", "must be FIFO or LIFO")
    reserved = _count(data.get("max_reserved_workers", 1), f"{path}.max_reserved_workers")
    if not 1 <= reserved <= MAX_RESERVED_WORKERS:
        raise ScenarioError(
            f"{path}.max_reserved_workers", f"must be between 1 and {MAX_RESERVED_WORKERS}"
        )
    return QueueSpec(
        sid=_text(data.get("sid", stable_sid("WQ", name)), f"{path}.sid"),
        friendly_name=name,
        target_workers=target_workers,
        task_order=QueueOrder(order),
        max_reserved_workers=reserved,
    )


def _workflow(raw: Any, queue_sids: set[str]) -> WorkflowSpec:
    data = _object(
        raw, "workflow", {"sid", "friendly_name", "configuration", "task_reservation_timeout"}
    )
    name = _text(data.get("friendly_name", "Simulated workflow"), "workflow.friendly_name")
    configuration = data.get("configuration")
    if isinstance(configuration, dict):
        configuration = json.dumps(configuration)
    if not isinstance(configuration, str):
        raise ScenarioError("workflow.configuration", "must be TaskRouter's workflow JSON")
    try:
        parse_workflow_configuration(configuration, queue_sids)
    except WorkflowConfigurationError as error:
        raise ScenarioError(f"workflow.configuration.{error.path}", error.reason) from None
    timeout = _count(
        data.get("task_reservation_timeout", DEFAULT_RESERVATION_TIMEOUT),
        "workflow.task_reservation_timeout",
    )
    return WorkflowSpec(
        sid=_text(data.get("sid", stable_sid("WW", name)), "workflow.sid"),
        friendly_name=name,
        configuration=configuration,
        task_reservation_timeout=max(timeout, 1),
    )


def _stream(raw: Any, path: str, channels: set[str]) -> DemandStream:
    data = _object(
        raw,
        path,
        {
            "name",
            "channel",
            "attributes",
            "priority",
            "volumes",
            "handle_time",
            "patience",
            "wrap_up",
        },
    )
    channel = _text(data.get("channel"), f"{path}.channel")
    if channel not in channels:
        raise ScenarioError(f"{path}.channel", f"unknown channel {channel}")
    volumes = tuple(
        _number(value, f"{path}.volumes[{index}]")
        for index, value in enumerate(_list(data.get("volumes"), f"{path}.volumes"))
    )
    patience = data.get("patience")
    wrap_up = data.get("wrap_up")
    if "handle_time" not in data:
        raise ScenarioError(f"{path}.handle_time", "is required")
    return DemandStream(
        name=_text(data.get("name", f"stream {path}"), f"{path}.name"),
        channel=channel,
        attributes=_object(data.get("attributes", {}), f"{path}.attributes"),
        volumes=volumes,
        handle_time=Distribution.from_data(data["handle_time"], f"{path}.handle_time"),
        patience=None if patience is None else Distribution.from_data(patience, f"{path}.patience"),
        wrap_up=None if wrap_up is None else Distribution.from_data(wrap_up, f"{path}.wrap_up"),
        priority=_count(data.get("priority", 0), f"{path}.priority"),
    )


def _agent(raw: Any, path: str, channels: set[str]) -> AgentSpec:
    data = _object(
        raw,
        path,
        {"name", "count", "attributes", "channels", "shifts", "accept_delay", "miss_rate"},
    )
    capacities: dict[str, int] | None = None
    if "channels" in data:
        given = _object(data["channels"], f"{path}.channels")
        capacities = {}
        for channel, capacity in given.items():
            if channel not in channels:
                raise ScenarioError(f"{path}.channels.{channel}", "unknown channel")
            capacities[channel] = _count(capacity, f"{path}.channels.{channel}")
    shifts = []
    for index, raw_shift in enumerate(_list(data.get("shifts"), f"{path}.shifts")):
        shift_path = f"{path}.shifts[{index}]"
        if not isinstance(raw_shift, list) or len(raw_shift) != 2:
            raise ScenarioError(shift_path, 'must be a pair like ["08:00", "14:00"]')
        start = _time_of_day(raw_shift[0], f"{shift_path}[0]")
        end = _time_of_day(raw_shift[1], f"{shift_path}[1]")
        if end <= start:
            raise ScenarioError(shift_path, "must end after it starts (and by midnight)")
        shifts.append(Shift(start, end))
    miss_rate = _number(data.get("miss_rate", 0), f"{path}.miss_rate")
    if miss_rate > 1:
        raise ScenarioError(f"{path}.miss_rate", "must be between 0 and 1")
    accept_delay = data.get("accept_delay")
    return AgentSpec(
        name=_text(data.get("name"), f"{path}.name"),
        attributes=_object(data.get("attributes", {}), f"{path}.attributes"),
        shifts=tuple(sorted(shifts, key=lambda shift: shift.start)),
        channels=capacities,
        count=_count(data.get("count", 1), f"{path}.count"),
        accept_delay=DEFAULT_ACCEPT_DELAY
        if accept_delay is None
        else Distribution.from_data(accept_delay, f"{path}.accept_delay"),
        miss_rate=miss_rate,
    )


def _object(value: Any, path: str, allowed: set[str] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(path, "must be an object")
    if allowed is not None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ScenarioError(f"{path}.{unknown[0]}", "unknown key")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(path, "must be a list")
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(path, "must be a non-empty string")
    return value


def _number(value: Any, path: str) -> float:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ScenarioError(path, "must be a non-negative number")
    return float(value)


def _count(value: Any, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ScenarioError(path, "must be a non-negative integer")
    return value


def _time_of_day(value: Any, path: str) -> float:
    if isinstance(value, str):
        hours, _, minutes = value.partition(":")
        if hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(minutes) < 60:
            seconds = int(hours) * 3600 + int(minutes) * 60
            if seconds <= DAY:
                return float(seconds)
        raise ScenarioError(path, 'must be a time of day like "08:30"')
    number = _number(value, path)
    if number > DAY:
        raise ScenarioError(path, "must be within the day (at most 86400 seconds)")
    return number


def _unique(values: list[str], path: str, key: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise ScenarioError(f"{path}[{index}].{key}", f"duplicate {value}")
        seen.add(value)
