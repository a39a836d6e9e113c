"""Simulated customers and agents for the demo, driving the real services.

Customers arrive at random (Poisson), wait with limited patience and hang up if nobody answers;
simulated agents accept offers after a few seconds, talk, wrap up and complete, and now and then
take a break. Everything goes through TaskRouterService, so statistics, streams and the desk show
it exactly as they would show real traffic."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from atende.channels.sandbox_voice import CallerMix
from atende.demo import company
from atende.demo.seed import DemoSetup
from atende.errors import TwilioError
from atende.runtime import Runtime
from atende.taskrouter.models import Task, Worker
from atende.taskrouter.service import TaskRouterService
from atende.voice.sandbox import run_sandbox_callers

log = logging.getLogger(__name__)
T = TypeVar("T")

# Callers dial the sandbox number and go through the real IVR, webhooks and conference REST.
CALLERS = CallerMix(calls_per_minute=3.0, mean_patience=150.0, mean_talk=60.0)
FIRST_NAMES = ("Marcos", "Patrícia", "Luana", "Rafael", "Sônia", "Tiago", "Vera", "Wagner")
LAST_NAMES = ("Oliveira", "Santos", "Ferreira", "Barbosa", "Cardoso", "Teixeira", "Moreira")


class DemoTraffic:
    def __init__(
        self,
        runtime: Runtime,
        setup: DemoSetup,
        *,
        mean_interarrival: float = 6.0,
        seed: int | None = None,
    ) -> None:
        self.runtime = runtime
        self.setup = setup
        self.mean_interarrival = mean_interarrival
        self.random = random.Random(seed)
        self._background: set[asyncio.Task[None]] = set()

    async def _with_service(self, action: Callable[[TaskRouterService], Awaitable[T]]) -> T | None:
        """One unit of work, committed; None when TaskRouter refused it (e.g. the offer was
        already rescinded or timed out), which in a simulation just means the moment passed."""
        async with self.runtime.sessions() as session:
            try:
                result = await action(TaskRouterService(session, self.runtime))
            except TwilioError as error:
                log.debug("demo action refused: %s", error.message)
                await session.rollback()
                return None
            await session.commit()
            return result

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _customer(self) -> dict[str, Any]:
        # Calls come through the sandbox carrier (see `install`); the rest is created here.
        demand = [entry for entry in company.DEMAND if entry[1] != "voice"]
        motives = [(motive, channel) for motive, channel, _ in demand]
        weights = [weight for _, _, weight in demand]
        motive, channel = self.random.choices(motives, weights)[0]
        name = f"{self.random.choice(FIRST_NAMES)} {self.random.choice(LAST_NAMES)}"
        phone = f"+55119{self.random.randrange(10_000_000, 99_999_999)}"
        return {
            "motivo": motive,
            "channel": channel,
            "name": name,
            "from": phone,
            "simulated": True,
        }

    async def arrivals(self) -> None:
        """Background job: customers keep arriving while the demo runs."""
        while True:
            await asyncio.sleep(self.random.expovariate(1 / self.mean_interarrival))
            task = await self._with_service(partial(self._create_task, self._customer()))
            if task is not None:
                self._spawn(self._patience(task.sid))

    async def _create_task(self, attributes: dict[str, Any], service: TaskRouterService) -> Task:
        return await service.create_task(
            self.setup.workspace_sid, self.setup.workflow_sid, attributes, attributes["channel"]
        )

    async def _patience(self, task_sid: str) -> None:
        await asyncio.sleep(self.random.uniform(60, 240))

        async def give_up(service: TaskRouterService) -> None:
            task = await service.task(self.setup.workspace_sid, task_sid)
            if task.assignment_status == "pending":
                await service.cancel_task(self.setup.workspace_sid, task_sid, "abandoned")

        await self._with_service(give_up)

    async def agents(self) -> None:
        """Background job: simulated agents answer what is offered to them."""
        bus = self.runtime.services["bus"]
        simulated = self.setup.simulated_workers
        with bus.subscribe(
            lambda event: (
                event.get("event_type") == "reservation.created"
                and event.get("worker_sid") in simulated
            )
        ) as offers:
            while True:
                event = await offers.get()
                self._spawn(self._handle(event["reservation_sid"], event["task_sid"]))

    async def _handle(self, reservation_sid: str, task_sid: str) -> None:
        ws = self.setup.workspace_sid
        await asyncio.sleep(self.random.uniform(1.5, 6.0))
        accepted = await self._with_service(
            lambda service: service.accept_reservation(ws, reservation_sid)
        )
        if accepted is None:
            return
        await asyncio.sleep(self.random.uniform(20, 75))
        await self._with_service(
            lambda service: service.update_task(ws, task_sid, assignment_status="wrapping")
        )
        await asyncio.sleep(self.random.uniform(2, 6))
        await self._with_service(lambda service: service.complete_task(ws, task_sid))

    async def breaks(self) -> None:
        """Background job: now and then an agent pauses for a while, so queues breathe."""
        workers = list(self.setup.simulated_workers)
        while True:
            await asyncio.sleep(self.random.uniform(30, 90))
            worker = self.random.choice(workers)
            if await self._set_activity(worker, self.setup.break_activity_sid):
                await asyncio.sleep(self.random.uniform(20, 60))
                await self._set_activity(worker, self.setup.available_activity_sid)

    async def _set_activity(self, worker_sid: str, activity_sid: str) -> bool:
        ws = self.setup.workspace_sid
        updated = await self._with_service(partial(_update_activity, ws, worker_sid, activity_sid))
        return updated is not None

    async def stop(self) -> None:
        for task in list(self._background):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    def install(self, runtime: Runtime) -> None:
        runtime.add_job(
            "demo.callers",
            lambda: run_sandbox_callers(runtime, self.setup.workflow_sid, CALLERS),
        )
        runtime.add_job("demo.arrivals", self.arrivals)
        runtime.add_job("demo.agents", self.agents)
        runtime.add_job("demo.breaks", self.breaks)
        runtime.on_stop(self.stop)


async def _update_activity(
    workspace_sid: str, worker_sid: str, activity_sid: str, service: TaskRouterService
) -> Worker:
    return await service.update_worker(workspace_sid, worker_sid, activity_sid=activity_sid)
