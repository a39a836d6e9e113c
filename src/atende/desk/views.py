"""Reading the routing engine's live state into what the desk shows: a worker, the work a
worker holds, and whether an agent counts as available, busy or unavailable.

The engine keeps every workspace in memory, so these views cost no query; a thousand agents
are read in a few milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from atende.desk.schemas import ChannelLoad, WorkerView, WorkItem
from atende.routing.engine import RoutingEngine
from atende.routing.model import Reservation, ReservationStatus, Task, Worker

# Attributes the routing and channels add for themselves; the rest was collected from the
# customer (by the bot or IVR) and is shown to the agent.
TECHNICAL_ATTRIBUTES = frozenset(
    {
        "conversation_sid",
        "contact_sid",
        "protocol",
        "channel",
        "from",
        "to",
        "name",
        "call_sid",
        "voice_call_sid",
        "crm",
        "known_worker_sid",
        "target_worker",
        "transfer_queue",
        "transferred_by",
        "type",
        "contact_uri",
        "business_hours",
        "conference",
        "customer_number",
        "direction",
        "callback",
    }
)


def moment(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def state_of(worker: Worker) -> str:
    """Busy beats the activity: an agent on a call is busy whatever the selector says."""
    if worker.occupied > 0:
        return "busy"
    return "available" if worker.available else "offline"


def worker_view(engine: RoutingEngine, worker: Worker) -> WorkerView:
    activity = engine.activities.get(worker.activity_sid)
    attributes = worker.attributes
    return WorkerView(
        sid=worker.sid,
        name=worker.friendly_name,
        activity_sid=worker.activity_sid,
        activity_name=activity.friendly_name if activity else worker.activity_sid,
        available=worker.available,
        state=state_of(worker),
        since=moment(worker.activity_changed_at) or datetime.now(UTC),
        team=_text(attributes.get("team")),
        skills=_texts(attributes.get("skills")),
        languages=_texts(attributes.get("languages")),
        capacity=[
            ChannelLoad(
                channel=_channel_name(engine, channel_sid),
                capacity=channel.configured_capacity,
                used=channel.occupied,
            )
            for channel_sid, channel in worker.channels.items()
            if channel.configured_capacity > 0
        ],
        work=[work_item(engine, reservation) for reservation in held_by(engine, worker.sid)],
    )


def held_by(engine: RoutingEngine, worker_sid: str) -> list[Reservation]:
    """The worker's offers and work, oldest first (the order the agent got them)."""
    if worker_sid not in engine.workers:
        return []
    return sorted(engine.worker_reservations(worker_sid), key=lambda r: r.created_at)


def work_item(engine: RoutingEngine, reservation: Reservation) -> WorkItem:
    task: Task | None = engine.tasks.get(reservation.task_sid)
    attributes: dict[str, Any] = dict(task.attributes) if task else {}
    queue = engine.task_queues.get(reservation.queue_sid)
    accepted = reservation.status == ReservationStatus.ACCEPTED
    return WorkItem(
        reservation_sid=reservation.sid,
        reservation_status=reservation.status.value,
        task_sid=reservation.task_sid,
        task_status=task.assignment_status.value if task else "completed",
        channel=_channel_name(engine, reservation.task_channel_sid),
        queue_sid=reservation.queue_sid,
        queue_name=queue.friendly_name if queue else None,
        attributes=attributes,
        customer_name=_text(attributes.get("name")) or None,
        customer_address=_text(attributes.get("from")) or None,
        protocol=_text(attributes.get("protocol")) or None,
        conversation_sid=_text(attributes.get("conversation_sid")) or None,
        call_sid=_text(attributes.get("voice_call_sid")) or None,
        created_at=moment(reservation.created_at) or datetime.now(UTC),
        accepted_at=moment(reservation.updated_at) if accepted else None,
        timeout_at=(
            moment(reservation.timeout_at)
            if reservation.status == ReservationStatus.PENDING
            else None
        ),
    )


def collected(attributes: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in attributes.items() if key not in TECHNICAL_ATTRIBUTES}


def _channel_name(engine: RoutingEngine, channel_sid: str) -> str:
    channel = engine.task_channels.get(channel_sid)
    return channel.unique_name if channel else "default"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
