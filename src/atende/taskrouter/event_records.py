"""Turning the engine's events into stored events with TaskRouter's event data fields.

The engine names resources by SID only; the names TaskRouter's callbacks carry (queue, workflow,
activity, channel and worker names) are resolved here from the same engine, as they were when
the command ran."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from atende.events.record import EventRecord
from atende.routing.engine import RoutingEngine
from atende.routing.events import EventType, RoutingEvent
from atende.taskrouter.persistence import dump_json, to_datetime


class Actor:
    """Who caused the events: the API account, a worker, or the system (timers)."""

    __slots__ = ("sid", "type")

    def __init__(self, type_: str = "system", sid: str | None = None) -> None:
        self.type = type_
        self.sid = sid


SYSTEM = Actor()


class _AttributeTexts:
    """The JSON text of attribute mappings, written once per mapping: a task's events (created,
    entered, matched, reserved...) all carry the same one. Keyed by identity, which holds while
    the events that reference the mappings are alive (one `records_for` call)."""

    def __init__(self) -> None:
        self._texts: dict[int, str] = {}

    def __call__(self, attributes: Any) -> str:
        if attributes is None:
            return "{}"
        text = self._texts.get(id(attributes))
        if text is None:
            text = self._texts[id(attributes)] = dump_json(attributes)
        return text


def _name(mapping: Any, sid: str | None) -> str | None:
    if sid is None:
        return None
    item = mapping.get(sid)
    return None if item is None else item.friendly_name


def _task_fields(
    event: RoutingEvent, engine: RoutingEngine, texts: _AttributeTexts
) -> dict[str, Any]:
    channel = engine.task_channels.get(event.task_channel_sid or "")
    task = engine.tasks.get(event.task_sid or "")
    fields: dict[str, Any] = {
        "task_sid": event.task_sid,
        "task_attributes": texts(event.task_attributes),
        "task_age": event.task_age,
        "task_priority": event.task_priority,
        "task_assignment_status": event.task_assignment_status,
        "task_channel_sid": event.task_channel_sid,
        "task_channel_unique_name": None if channel is None else channel.unique_name,
        "task_queue_sid": event.queue_sid,
        "task_queue_name": _name(engine.task_queues, event.queue_sid),
        "workflow_sid": event.workflow_sid,
        "workflow_name": _name(engine.workflows, event.workflow_sid),
    }
    if task is not None:
        fields["task_date_created"] = int(task.created_at)
        if task.queue_entered_at is not None:
            fields["task_queue_entered_date"] = int(task.queue_entered_at)
    if event.task_reason is not None:
        if event.task_assignment_status == "canceled":
            fields["task_canceled_reason"] = event.task_reason
        elif event.task_assignment_status == "completed":
            fields["task_completed_reason"] = event.task_reason
    return fields


def _worker_fields(
    event: RoutingEvent, engine: RoutingEngine, texts: _AttributeTexts
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "worker_sid": event.worker_sid,
        "worker_name": _name(engine.workers, event.worker_sid),
        "worker_attributes": texts(event.worker_attributes),
        "worker_activity_sid": event.worker_activity_sid,
        "worker_activity_name": _name(engine.activities, event.worker_activity_sid),
    }
    if event.worker_previous_activity_sid is not None:
        previous = event.worker_previous_activity_sid
        fields["worker_previous_activity_sid"] = previous
        fields["worker_previous_activity_name"] = _name(engine.activities, previous)
    if event.worker_time_in_previous_activity is not None:
        elapsed = event.worker_time_in_previous_activity
        fields["worker_time_in_previous_activity"] = int(elapsed)
        fields["worker_time_in_previous_activity_ms"] = int(elapsed * 1000)
    return fields


def _resource_fields(event: RoutingEvent, engine: RoutingEngine) -> dict[str, Any]:
    sid = event.resource_sid
    kind = event.resource_type
    if kind == "task_queue":
        queue = engine.task_queues.get(sid)
        return {
            "task_queue_sid": sid,
            "task_queue_name": None if queue is None else queue.friendly_name,
            "task_queue_target_expression": None if queue is None else queue.target_workers,
        }
    if kind == "workflow":
        return {"workflow_sid": sid, "workflow_name": _name(engine.workflows, sid)}
    if kind == "activity":
        return {"activity_sid": sid, "activity_name": _name(engine.activities, sid)}
    if kind == "task_channel":
        channel = engine.task_channels.get(sid)
        return {
            "task_channel_sid": sid,
            "task_channel_unique_name": None if channel is None else channel.unique_name,
        }
    return {}


def event_data(
    event: RoutingEvent, engine: RoutingEngine, texts: _AttributeTexts
) -> dict[str, Any]:
    data = _resource_fields(event, engine)
    if event.task_sid is not None:
        data.update(_task_fields(event, engine, texts))
    if event.worker_sid is not None:
        data.update(_worker_fields(event, engine, texts))
    if event.reservation_sid is not None:
        data["reservation_sid"] = event.reservation_sid
    if event.event_type == EventType.WORKFLOW_TARGET_MATCHED and event.data:
        data["workflow_filter_name"] = event.data.get("filter_friendly_name")
        data["workflow_filter_target_expression"] = event.data.get("target_expression")
    if event.data:
        for key, value in event.data.items():
            data.setdefault(key, value)
    return data


def records_for(
    workspace_sid: str, events: Iterable[RoutingEvent], engine: RoutingEngine, actor: Actor
) -> list[EventRecord]:
    records = []
    texts = _AttributeTexts()
    for event in events:
        resource_sid = event.resource_sid or workspace_sid
        records.append(
            EventRecord(
                workspace_sid=workspace_sid,
                event_type=event.event_type,
                resource_type=event.resource_type,
                resource_sid=resource_sid,
                description=event.description,
                data=event_data(event, engine, texts),
                occurred_at=to_datetime(event.occurred_at),
                actor_type=actor.type,
                actor_sid=actor.sid,
                worker_sid=event.worker_sid,
                task_sid=event.task_sid,
                reservation_sid=event.reservation_sid,
            )
        )
    return records
