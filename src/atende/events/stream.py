"""A resumable push stream: replay what the client missed from the stored log, then go live.

The stream is attached to the bus *before* the replay query, and live events already replayed
are skipped by sequence, so nothing falls in the gap between the two (the laptop-sleep problem).

Live events go out without a task switch per socket: the bus's fan-out writes each event's text
straight to every caught-up socket, in one loop, as a plain broadcast would. Only what cannot go
at once (the replay, or a send that must wait for a slow client) goes through the socket's own
task, in order, through a bounded backlog; a client that lets it overflow is told to reconnect
with its last sequence, so it delays nobody else and loses nothing."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from typing import Any

from atende.events.bus import encode
from atende.events.record import stream_payload
from atende.events.repository import EventRepository
from atende.runtime import Runtime

REPLAY_PAGE = 1000
# Events a socket may hold back while its client is slow, before it must reconnect instead.
BACKLOG_LIMIT = 1000

Send = Callable[[str], Coroutine[Any, Any, None]]


class StreamLagged(Exception):
    """The consumer fell too far behind; it should reconnect with its last sequence."""


def start_eagerly(coroutine: Coroutine[Any, Any, None]) -> Awaitable[None] | None:
    """Run `coroutine` now, in the caller's turn, until it first has to wait: None if it ran to
    the end (a send to a socket with room always does), else what is left of it, to await."""
    try:
        waiting_on = coroutine.send(None)
    except StopIteration:
        return None
    return _Remainder(coroutine, waiting_on)


class _Remainder:
    """Awaiting this carries a started coroutine on from where it stopped, exactly as if the
    awaiting task had run it from the start: what it waits on, the task waits on."""

    def __init__(self, coroutine: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        self._coroutine = coroutine
        self._waiting_on = waiting_on

    def __await__(self) -> Generator[Any, Any, None]:
        waiting_on = self._waiting_on
        while True:
            try:
                answer = yield waiting_on
            except GeneratorExit:
                self._coroutine.close()
                raise
            except BaseException as error:  # e.g. cancellation, delivered where it waits
                waiting_on = _resume(self._coroutine.throw, error)
            else:
                waiting_on = _resume(self._coroutine.send, answer)
            if waiting_on is _FINISHED:
                return


_FINISHED = object()


def _resume(step: Callable[[Any], Any], argument: Any) -> Any:
    """One step of a coroutine: what it waits on next, or _FINISHED."""
    try:
        return step(argument)
    except StopIteration:
        return _FINISHED


class LiveStream:
    """One client's stream, fed by the bus's fan-out (`push`) and run by the client's task."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._last = 0
        # None while caught up (pushes are sent at once); a queue while replaying or slow.
        self._backlog: deque[tuple[int, str]] | None = deque()
        self._pending: Awaitable[None] | None = None
        self._failure: Exception | None = None
        self._lagging = False
        self._wake = asyncio.Event()

    def push(self, seq: int, text: str) -> None:
        if self._backlog is None:
            if seq > self._last:
                self._last = seq
                self._send_now(text)
        elif len(self._backlog) < BACKLOG_LIMIT:
            self._backlog.append((seq, text))
            self._wake.set()
        else:
            self._lagging = True
            self._wake.set()

    def heartbeat(self, text: str) -> None:
        """Keep an idle connection alive; a stream that is still catching up needs none."""
        if self._backlog is None:
            self._send_now(text)

    def _send_now(self, text: str) -> None:
        try:
            self._pending = start_eagerly(self._send(text))
        except Exception as failure:  # the client is gone; its own task reports it
            self._failure = failure
        if self._pending is not None or self._failure is not None:
            self._backlog = deque()
            self._wake.set()

    async def run(self, replay: AsyncIterator[tuple[int, str]], after: int) -> None:
        """Send the replay, then whatever the fan-out could not send at once, until the client
        leaves (the caller cancels this) or falls too far behind (StreamLagged)."""
        self._last = after
        async for seq, text in replay:
            await self._send(text)
            self._last = seq
        while True:
            await self._catch_up()
            self._wake.clear()
            await self._wake.wait()

    async def _catch_up(self) -> None:
        while True:
            if self._failure is not None:
                raise self._failure
            if self._pending is not None:
                pending, self._pending = self._pending, None
                await pending
            elif self._lagging:
                raise StreamLagged
            elif self._backlog:
                seq, text = self._backlog.popleft()
                if seq > self._last:
                    self._last = seq
                    await self._send(text)
            else:
                self._backlog = None  # caught up: the fan-out sends directly again
                return


async def replay(
    runtime: Runtime,
    after: int | None,
    *,
    workspace_sid: str | None = None,
    worker_sid: str | None = None,
) -> tuple[int, AsyncIterator[tuple[int, str]]]:
    """Where the stream starts (the client's `after`, else the newest event: a new client
    wants no history) and the stored events after it, page by page, as sequence and text."""
    if after is None:
        async with runtime.sessions() as session:
            after = await EventRepository(session).last_sequence()

    async def pages(last: int) -> AsyncIterator[tuple[int, str]]:
        while True:
            async with runtime.sessions() as session:
                rows = await EventRepository(session).after(
                    last, workspace_sid=workspace_sid, worker_sid=worker_sid, limit=REPLAY_PAGE
                )
            for row in rows:
                last = row.id
                yield row.id, encode(stream_payload(row))
            if len(rows) < REPLAY_PAGE:
                return

    return after, pages(after)
