"""Fan-out of committed events to live subscribers (push streams, channels, statistics).

In one node the bus is in-process. With Redis configured, every node publishes to a Redis
channel and fans out what it hears, so an agent connected to node B sees work routed by node A."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

StreamEvent = dict[str, Any]
Predicate = Callable[[StreamEvent], bool]

REDIS_CHANNEL = "atende:events"
QUEUE_LIMIT = 10_000


class Subscription:
    """A bounded queue; if a slow consumer falls behind it is marked lagging and must resume
    from the stored log (the stream does that) instead of silently losing events."""

    def __init__(self, bus: EventBus, predicate: Predicate) -> None:
        self._bus = bus
        self.predicate = predicate
        self.queue: asyncio.Queue[StreamEvent] = asyncio.Queue(QUEUE_LIMIT)
        self.lagging = False

    def offer(self, event: StreamEvent) -> None:
        if self.lagging or not self.predicate(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lagging = True

    async def get(self) -> StreamEvent:
        return await self.queue.get()

    async def __aiter__(self) -> AsyncIterator[StreamEvent]:
        while True:
            yield await self.queue.get()

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class EventBus:
    def __init__(self, redis: Any | None = None) -> None:
        self._subscriptions: set[Subscription] = set()
        self._redis = redis

    def subscribe(self, predicate: Predicate) -> Subscription:
        subscription = Subscription(self, predicate)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def publish(self, events: Sequence[StreamEvent]) -> None:
        """Called right after a commit; never blocks the committing request."""
        if not events:
            return
        if self._redis is None:
            self.deliver_local(events)
            return
        payload = json.dumps(list(events), default=str)
        task = asyncio.get_running_loop().create_task(self._redis.publish(REDIS_CHANNEL, payload))
        task.add_done_callback(_log_failure)

    def deliver_local(self, events: Sequence[StreamEvent]) -> None:
        for subscription in list(self._subscriptions):
            for event in events:
                subscription.offer(event)

    async def relay_from_redis(self) -> None:
        """Background job: hear every node's events and deliver them to local subscribers."""
        assert self._redis is not None
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(REDIS_CHANNEL)
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    self.deliver_local(json.loads(message["data"]))
        finally:
            await pubsub.unsubscribe(REDIS_CHANNEL)
            await pubsub.aclose()


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("publishing events to Redis failed: %s", task.exception())
