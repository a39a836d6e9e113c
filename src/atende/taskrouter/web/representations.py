"""The JSON TaskRouter returns for each resource: snake_case fields, absolute `url` and `links`.

Names of related resources (a task's queue and workflow, a worker's activity) come from a
`Names` lookup, so a list of 1,000 tasks costs no extra query."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from atende.db.base import utcnow
from atende.events.models import Event
from atende.taskrouter import models

JSON = dict[str, Any]
NameOf = Callable[[str | None], str | None]


def iso(value: datetime | None) -> str | None:
    """Twilio's timestamp format, which its clients parse into datetimes."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Names:
    """Friendly names by SID for one workspace (activities, queues, workflows, channels)."""

    activity: NameOf
    task_queue: NameOf
    workflow: NameOf
    task_channel: NameOf
    worker: NameOf


@dataclass(frozen=True, slots=True)
class Urls:
    """Absolute URLs under the base the client used."""

    base: str
    account_sid: str

    def workspace(self, workspace_sid: str) -> str:
        return f"{self.base}/v1/Workspaces/{workspace_sid}"

    def child(self, workspace_sid: str, *parts: str) -> str:
        return "/".join((self.workspace(workspace_sid), *parts))


def workspace_json(row: models.Workspace, urls: Urls, names: Names) -> JSON:
    url = urls.workspace(row.sid)
    return {
        "account_sid": row.account_sid,
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "default_activity_name": names.activity(row.default_activity_sid),
        "default_activity_sid": row.default_activity_sid,
        "event_callback_url": row.event_callback_url,
        "events_filter": row.events_filter,
        "friendly_name": row.friendly_name,
        "multi_task_enabled": row.multi_task_enabled,
        "sid": row.sid,
        "timeout_activity_name": names.activity(row.timeout_activity_sid),
        "timeout_activity_sid": row.timeout_activity_sid,
        "prioritize_queue_order": row.prioritize_queue_order,
        "url": url,
        "links": {
            "activities": f"{url}/Activities",
            "cumulative_statistics": f"{url}/CumulativeStatistics",
            "events": f"{url}/Events",
            "real_time_statistics": f"{url}/RealTimeStatistics",
            "statistics": f"{url}/Statistics",
            "task_channels": f"{url}/TaskChannels",
            "task_queues": f"{url}/TaskQueues",
            "tasks": f"{url}/Tasks",
            "workers": f"{url}/Workers",
            "workflows": f"{url}/Workflows",
        },
    }


def activity_json(row: models.Activity, urls: Urls) -> JSON:
    return {
        "account_sid": urls.account_sid,
        "available": row.available,
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "friendly_name": row.friendly_name,
        "sid": row.sid,
        "workspace_sid": row.workspace_sid,
        "url": urls.child(row.workspace_sid, "Activities", row.sid),
        "links": {"workspace": urls.workspace(row.workspace_sid)},
    }


def task_channel_json(row: models.TaskChannel, urls: Urls) -> JSON:
    return {
        "account_sid": urls.account_sid,
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "friendly_name": row.friendly_name,
        "sid": row.sid,
        "unique_name": row.unique_name,
        "workspace_sid": row.workspace_sid,
        "channel_optimized_routing": row.channel_optimized_routing,
        "url": urls.child(row.workspace_sid, "TaskChannels", row.sid),
        "links": {"workspace": urls.workspace(row.workspace_sid)},
    }


def worker_json(row: models.Worker, urls: Urls, names: Names) -> JSON:
    url = urls.child(row.workspace_sid, "Workers", row.sid)
    return {
        "account_sid": urls.account_sid,
        "activity_name": names.activity(row.activity_sid),
        "activity_sid": row.activity_sid,
        "attributes": row.attributes,
        "available": row.available,
        "date_created": iso(row.date_created),
        "date_status_changed": iso(row.date_status_changed),
        "date_updated": iso(row.date_updated),
        "friendly_name": row.friendly_name,
        "sid": row.sid,
        "workspace_sid": row.workspace_sid,
        "url": url,
        "links": {
            "activity": urls.child(row.workspace_sid, "Activities", row.activity_sid),
            "channels": f"{url}/Channels",
            "reservations": f"{url}/Reservations",
            "statistics": f"{url}/Statistics",
            "workspace": urls.workspace(row.workspace_sid),
        },
    }


@dataclass(frozen=True, slots=True)
class ChannelUsage:
    """How much of a worker's channel capacity is taken, from the routing engine."""

    assigned_tasks: int
    available_capacity_percentage: int


def worker_channel_json(
    row: models.WorkerChannel, urls: Urls, names: Names, usage: ChannelUsage
) -> JSON:
    return {
        "account_sid": urls.account_sid,
        "assigned_tasks": usage.assigned_tasks,
        "available": row.available,
        "available_capacity_percentage": usage.available_capacity_percentage,
        "configured_capacity": row.configured_capacity,
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "sid": row.sid,
        "task_channel_sid": row.task_channel_sid,
        "task_channel_unique_name": names.task_channel(row.task_channel_sid),
        "worker_sid": row.worker_sid,
        "workspace_sid": row.workspace_sid,
        "url": urls.child(row.workspace_sid, "Workers", row.worker_sid, "Channels", row.sid),
    }


def task_queue_json(row: models.TaskQueue, urls: Urls, names: Names) -> JSON:
    url = urls.child(row.workspace_sid, "TaskQueues", row.sid)
    links = {
        "cumulative_statistics": f"{url}/CumulativeStatistics",
        "real_time_statistics": f"{url}/RealTimeStatistics",
        "statistics": f"{url}/Statistics",
        "workspace": urls.workspace(row.workspace_sid),
    }
    if row.assignment_activity_sid:
        links["assignment_activity"] = urls.child(
            row.workspace_sid, "Activities", row.assignment_activity_sid
        )
    if row.reservation_activity_sid:
        links["reservation_activity"] = urls.child(
            row.workspace_sid, "Activities", row.reservation_activity_sid
        )
    return {
        "account_sid": urls.account_sid,
        "assignment_activity_sid": row.assignment_activity_sid,
        "assignment_activity_name": names.activity(row.assignment_activity_sid),
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "friendly_name": row.friendly_name,
        "max_reserved_workers": row.max_reserved_workers,
        "reservation_activity_sid": row.reservation_activity_sid,
        "reservation_activity_name": names.activity(row.reservation_activity_sid),
        "sid": row.sid,
        "target_workers": row.target_workers,
        "task_order": row.task_order,
        "url": url,
        "workspace_sid": row.workspace_sid,
        "links": links,
    }


def workflow_json(row: models.Workflow, urls: Urls) -> JSON:
    url = urls.child(row.workspace_sid, "Workflows", row.sid)
    return {
        "account_sid": urls.account_sid,
        "assignment_callback_url": row.assignment_callback_url,
        "configuration": row.configuration,
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "document_content_type": "application/json",
        "fallback_assignment_callback_url": row.fallback_assignment_callback_url,
        "friendly_name": row.friendly_name,
        "sid": row.sid,
        "task_reservation_timeout": row.task_reservation_timeout,
        "workspace_sid": row.workspace_sid,
        "url": url,
        "links": {
            "cumulative_statistics": f"{url}/CumulativeStatistics",
            "real_time_statistics": f"{url}/RealTimeStatistics",
            "statistics": f"{url}/Statistics",
            "workspace": urls.workspace(row.workspace_sid),
        },
    }


def task_age(row: models.Task, now: datetime | None = None) -> int:
    return max(int(((now or utcnow()) - row.date_created).total_seconds()), 0)


def task_json(row: models.Task, urls: Urls, names: Names) -> JSON:
    url = urls.child(row.workspace_sid, "Tasks", row.sid)
    links = {"reservations": f"{url}/Reservations", "workspace": urls.workspace(row.workspace_sid)}
    if row.task_queue_sid:
        links["task_queue"] = urls.child(row.workspace_sid, "TaskQueues", row.task_queue_sid)
    if row.workflow_sid:
        links["workflow"] = urls.child(row.workspace_sid, "Workflows", row.workflow_sid)
    return {
        "account_sid": urls.account_sid,
        "age": task_age(row),
        "assignment_status": row.assignment_status,
        "attributes": row.attributes,
        "addons": "{}",
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "task_queue_entered_date": iso(row.task_queue_entered_date),
        "priority": row.priority,
        "reason": row.reason,
        "sid": row.sid,
        "task_queue_sid": row.task_queue_sid,
        "task_queue_friendly_name": names.task_queue(row.task_queue_sid),
        "task_channel_sid": row.task_channel_sid,
        "task_channel_unique_name": names.task_channel(row.task_channel_sid),
        "timeout": row.timeout,
        "workflow_sid": row.workflow_sid,
        "workflow_friendly_name": names.workflow(row.workflow_sid),
        "workspace_sid": row.workspace_sid,
        "url": url,
        "links": links,
        "virtual_start_time": iso(row.virtual_start_time),
        "ignore_capacity": row.ignore_capacity,
        "routing_target": row.routing_target,
    }


def reservation_json(
    row: models.Reservation, urls: Urls, names: Names, *, under_worker: bool
) -> JSON:
    """The same reservation has two URLs: under its task and under its worker."""
    if under_worker:
        url = urls.child(row.workspace_sid, "Workers", row.worker_sid, "Reservations", row.sid)
    else:
        url = urls.child(row.workspace_sid, "Tasks", row.task_sid, "Reservations", row.sid)
    return {
        "account_sid": urls.account_sid,
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "reservation_status": row.reservation_status,
        "sid": row.sid,
        "task_sid": row.task_sid,
        "worker_name": names.worker(row.worker_sid),
        "worker_sid": row.worker_sid,
        "workspace_sid": row.workspace_sid,
        "url": url,
        "links": {
            "task": urls.child(row.workspace_sid, "Tasks", row.task_sid),
            "worker": urls.child(row.workspace_sid, "Workers", row.worker_sid),
            "workspace": urls.workspace(row.workspace_sid),
        },
    }


_RESOURCE_PATHS = {
    "activity": "Activities",
    "reservation": None,
    "task": "Tasks",
    "task_channel": "TaskChannels",
    "task_queue": "TaskQueues",
    "worker": "Workers",
    "workflow": "Workflows",
    "workspace": None,
}


def _resource_url(row: Event, urls: Urls) -> str | None:
    if row.resource_type == "workspace":
        return urls.workspace(row.workspace_sid)
    if row.resource_type == "reservation" and row.task_sid:
        return urls.child(
            row.workspace_sid, "Tasks", row.task_sid, "Reservations", row.resource_sid
        )
    folder = _RESOURCE_PATHS.get(row.resource_type)
    return urls.child(row.workspace_sid, folder, row.resource_sid) if folder else None


def event_json(row: Event, urls: Urls) -> JSON:
    """TaskRouter's Event resource: `event_data` carries the callback's fields."""
    actor_url = None
    if row.actor_type == "worker" and row.actor_sid:
        actor_url = urls.child(row.workspace_sid, "Workers", row.actor_sid)
    event_data = dict(row.data or {})
    event_data.setdefault("workspace_sid", row.workspace_sid)
    event_data.setdefault("account_sid", urls.account_sid)
    return {
        "account_sid": urls.account_sid,
        "actor_sid": row.actor_sid,
        "actor_type": row.actor_type,
        "actor_url": actor_url,
        "description": row.description,
        "event_data": event_data,
        "event_date": iso(row.event_date),
        "event_date_ms": int(row.event_date.timestamp() * 1000),
        "event_type": row.event_type,
        "resource_sid": row.resource_sid,
        "resource_type": row.resource_type,
        "resource_url": _resource_url(row, urls),
        "sid": row.sid,
        "source": "Atende",
        "source_ip_address": None,
        "url": urls.child(row.workspace_sid, "Events", row.sid),
        "workspace_sid": row.workspace_sid,
    }


def dumps_attributes(attributes: dict[str, Any]) -> str:
    return json.dumps(attributes, separators=(",", ":"), ensure_ascii=False)
