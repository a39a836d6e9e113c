"""Fan-out of committed events to live subscribers (push streams, channels, statistics).

In one node the bus is in-process. With Redis configured, every node publishes to a Redis
channel and fans out what it hears, so an agent connected to node B sees work routed by node A."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

log = logging.getLogger(__name__)

StreamEvent = dict[str, Any]
Predicate = Callable[[StreamEvent], bool]

REDIS_CHANNEL = "atende:events"
QUEUE_LIMIT = 10_000
# The fields a push stream follows: a supervisor's stream a workspace, an agent's a worker.
STREAM_FIELDS = ("workspace_sid", "worker_sid")


def encode(event: StreamEvent) -> str:
    """An event as a push stream sends it."""
    return json.dumps({"type": "event", **event}, default=str)


class Sink(Protocol):
    """A push stream as the bus sees it: it takes an event's text at once and never waits."""

    def push(self, seq: int, text: str) -> None: ...


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
        self._sinks: dict[tuple[str, str], set[Sink]] = {}
        self._redis = redis
        self._channel = redis_channel(redis)

    def subscribe(self, predicate: Predicate) -> Subscription:
        subscription = Subscription(self, predicate)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    @contextmanager
    def attach(self, field: str, value: str, sink: Sink) -> Iterator[None]:
        """Give `sink` every event whose `field` (one of STREAM_FIELDS) is `value`, while the
        block runs. Sinks are grouped by what they follow, so an event is matched once and
        encoded once however many streams follow the same workspace."""
        if field not in STREAM_FIELDS:
            raise ValueError(f"field: streams follow one of {STREAM_FIELDS}, not {field!r}")
        group = self._sinks.setdefault((field, value), set())
        group.add(sink)
        try:
            yield
        finally:
            group.discard(sink)
            if not group:
                self._sinks.pop((field, value), None)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions) + sum(len(group) for group in self._sinks.values())

    def publish(self, events: Sequence[StreamEvent]) -> None:
        """Called right after a commit; never blocks the committing request."""
        if not events:
            return
        if self._redis is None:
            self.deliver_local(events)
            return
        payload = json.dumps(list(events), default=str)
        task = asyncio.get_running_loop().create_task(self._redis.publish(self._channel, payload))
        task.add_done_callback(_log_failure)

    def deliver_local(self, events: Sequence[StreamEvent]) -> None:
        for subscription in list(self._subscriptions):
            for event in events:
                subscription.offer(event)
        if self._sinks:
            # Next turn of the loop: the committing request answers without waiting for the
            # writes to thousands of sockets.
            asyncio.get_running_loop().call_soon(self._fan_out, list(events))

    def _fan_out(self, events: list[StreamEvent]) -> None:
        for event in events:
            text: str | None = None
            for field in STREAM_FIELDS:
                value = event.get(field)
                group = self._sinks.get((field, value)) if value else None
                if not group:
                    continue
                text = text if text is not None else encode(event)
                for sink in tuple(group):
                    sink.push(event["seq"], text)

    async def relay_from_redis(self) -> None:
        """Background job: hear every node's events and deliver them to local subscribers."""
        assert self._redis is not None
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._channel)
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    self.deliver_local(json.loads(message["data"]))
        finally:
            await pubsub.unsubscribe(self._channel)
            await pubsub.aclose()


def redis_channel(redis: Any | None) -> str:
    """The channel of the Redis database in the URL: Redis's publish/subscribe ignores the
    database number, so without it two installations given their own databases of one Redis
    (staging and production, say) would each push the other's events to their agents."""
    database = 0 if redis is None else redis.connection_pool.connection_kwargs.get("db", 0)
    return f"{REDIS_CHANNEL}:{database}"


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("publishing events to Redis failed: %s", task.exception())
