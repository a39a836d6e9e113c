"""Today's handled, abandoned and service level per queue, kept in memory from the event bus.

Supervisors' screens ask for these figures several times a second while a queue is busy;
reading the day's events each time would grow with the day. Instead the tracker reads today's
events of a workspace once, then follows the bus. Waits are kept as a histogram by second, so
any queue's threshold (which an admin may change) gives its service level without a query.

"Today" is the company's day (São Paulo by default); at midnight the figures start again."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from atende.db.base import utcnow
from atende.desk.repository import DeskRepository
from atende.events.bus import EventBus, Subscription

ACCEPTED = "reservation.accepted"
CANCELED = "task.canceled"
COUNTED = (ACCEPTED, CANCELED)
# A task ended by moving it elsewhere was not abandoned by the customer.
NOT_ABANDONED_REASONS = frozenset({"transferred", "moved"})


@dataclass
class QueueDay:
    handled: int = 0
    abandoned: int = 0
    answered_waits: Counter[int] = field(default_factory=Counter)
    abandoned_waits: Counter[int] = field(default_factory=Counter)

    def answered_within(self, threshold: int) -> int:
        return sum(n for wait, n in self.answered_waits.items() if wait < threshold)

    def offered(self, threshold: int) -> int:
        """Answered plus abandoned after the threshold: a customer who gave up in the first
        seconds does not count against the queue."""
        late = sum(n for wait, n in self.abandoned_waits.items() if wait >= threshold)
        return self.handled + late

    def service_level(self, threshold: int) -> float | None:
        offered = self.offered(threshold)
        return None if offered == 0 else 100.0 * self.answered_within(threshold) / offered


@dataclass
class WorkspaceDay:
    day: date
    last_seq: int = 0
    queues: dict[str, QueueDay] = field(default_factory=dict)

    def apply(self, event: dict[str, Any]) -> None:
        seq = int(event.get("seq") or 0)
        if seq and seq <= self.last_seq:
            return
        self.last_seq = max(self.last_seq, seq)
        data = event.get("data") or {}
        queue_sid = data.get("task_queue_sid")
        if not isinstance(queue_sid, str):
            return
        wait = int(data.get("task_age") or 0)
        figures = self.queues.setdefault(queue_sid, QueueDay())
        if event.get("event_type") == ACCEPTED:
            figures.handled += 1
            figures.answered_waits[wait] += 1
        elif data.get("task_canceled_reason") not in NOT_ABANDONED_REASONS:
            figures.abandoned += 1
            figures.abandoned_waits[wait] += 1


class ServiceLevelTracker:
    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._days: dict[str, WorkspaceDay] = {}
        self._bus: EventBus | None = None
        self._subscription: Subscription | None = None

    def follow(self, bus: EventBus) -> None:
        """Subscribe before any day is read, so no event falls between the read and the bus."""
        self._bus = bus
        self._subscription = bus.subscribe(lambda event: event.get("event_type") in COUNTED)

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None

    def _today(self) -> date:
        return utcnow().astimezone(self.zone).date()

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.zone)

    async def today(self, session: AsyncSession, workspace_sid: str) -> dict[str, QueueDay]:
        self._drain()
        today = self._today()
        current = self._days.get(workspace_sid)
        if current is None or current.day != today:
            current = WorkspaceDay(today)
            rows = await DeskRepository(session).counted_events(
                workspace_sid, COUNTED, self._midnight(today)
            )
            for row in rows:
                current.apply(row)
            self._days[workspace_sid] = current
        return current.queues

    def _drain(self) -> None:
        subscription = self._subscription
        if subscription is None:
            self._days.clear()
            return
        if subscription.lagging and self._bus is not None:
            # Too much happened unheard: start again from the stored events.
            self.stop()
            self.follow(self._bus)
            self._days.clear()
            return
        while not subscription.queue.empty():
            event = subscription.queue.get_nowait()
            day = self._days.get(str(event.get("workspace_sid")))
            if day is not None and self._date_of(event) == day.day:
                day.apply(event)

    def _date_of(self, event: dict[str, Any]) -> date:
        stamp = event.get("event_date")
        moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else utcnow()
        return moment.astimezone(self.zone).date()
