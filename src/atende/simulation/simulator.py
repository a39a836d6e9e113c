"""A discrete-event simulation of a scenario driving the real routing engine.

The engine is the one the live server runs (principle 1), given a simulated clock: customers
arrive (``create_task``), agents answer their offers after a short delay
(``accept_reservation``), talk for a handle time and wrap up (``update_task``), and impatient
customers hang up (the task is canceled). Everything timed by routing itself -- reservation
timeouts, workflow step timeouts, TTLs -- fires through ``advance()`` at ``next_deadline()``.

Determinism: one seeded :class:`random.Random` per demand stream (draws the customers: arrival
instants, handle time, patience, wrap-up) and per agent (answer delays, missed offers). Each
customer's needs are drawn when it arrives, so runs with more or fewer agents face the very
same customers, which makes staffing comparisons sharp (common random numbers).
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from atende.routing.engine import RoutingEngine
from atende.routing.events import EventType, RoutingEvent
from atende.routing.model import (
    Activity,
    ReservationStatus,
    TaskChannel,
    TaskQueue,
    TaskStatus,
    Workflow,
    WorkspaceSettings,
)
from atende.routing.workflow import parse_workflow_configuration
from atende.simulation.results import AgentResult, IntervalResult, SimulationResult, Tally
from atende.simulation.scenario import DAY, AgentSpec, Scenario
from atende.simulation.series import IntervalGrid, LevelSeries

ABANDONED_REASON = "abandoned by the customer"
RETURN_AFTER_MISS = 60.0
"""Seconds a simulated agent stays in the timeout activity after letting an offer ring out."""
DEFAULT_DRAIN = 2 * 3600.0
DRAIN_EVERY = 2000
"""Engine commands between two ``drain_changes()`` calls, which let it forget finished tasks."""

Progress = Callable[[float], None]


class SimulatedClock:
    """The engine's clock: whatever instant the simulation has reached."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Step(IntEnum):
    SHIFT_START = 0
    SHIFT_END = 1
    RETURN = 2
    ARRIVAL = 3
    ANSWER = 4
    HANG_UP = 5
    FINISH = 6
    WRAPPED = 7


class _State(IntEnum):
    WAITING = 0
    HANDLED = 1
    ENDED = 2


@dataclass(slots=True)
class _Contact:
    stream: int
    channel: str
    arrived: float
    handle: float
    wrap: float
    interval: int
    queue: str | None = None
    state: _State = _State.WAITING
    hanging_up: bool = False
    agent: _Agent | None = None


@dataclass(slots=True)
class _Agent:
    sid: str
    name: str
    spec: AgentSpec
    rng: random.Random
    on_shift: bool = False
    busy: int = 0
    since: float = 0.0
    staffed_seconds: float = 0.0
    busy_seconds: float = 0.0
    handled: int = 0

    @property
    def staffed(self) -> bool:
        return self.on_shift or self.busy > 0


class _SidFactory:
    """Readable, deterministic SIDs (the engine asks for task and reservation SIDs)."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        number = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = number
        return f"{prefix}{number:032x}"


class Simulation:
    """One run of ``scenario`` over ``days`` days; call :meth:`run` once."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int = 7,
        days: int = 1,
        drain_seconds: float = DEFAULT_DRAIN,
    ) -> None:
        if days < 1:
            raise ValueError("simulate at least one day")
        self.scenario = scenario
        self.seed = seed
        self.days = days
        self.grid = IntervalGrid(
            scenario.day_start, scenario.interval_seconds, scenario.interval_count, days
        )
        last_interval_end = (days - 1) * DAY + scenario.day_start
        last_interval_end += scenario.interval_count * scenario.interval_seconds
        last_shift_end = max(
            (shift.end for agent in scenario.agents for shift in agent.shifts), default=0.0
        )
        self.end = max(last_interval_end, (days - 1) * DAY + last_shift_end) + drain_seconds
        self.clock = SimulatedClock()
        self.engine = RoutingEngine(self.clock, _SidFactory())
        self._events: list[tuple[float, int, _Step, object]] = []
        self._sequence = 0
        self._steps = 0
        self._contacts: dict[str, _Contact] = {}
        self._agents: dict[str, _Agent] = {}
        self._queue_names = {queue.sid: queue.friendly_name for queue in scenario.queues}
        self._thresholds = {c.unique_name: c.service_level_seconds for c in scenario.channels}
        self._volumes = [
            stream.volumes + (0.0,) * (scenario.interval_count - len(stream.volumes))
            for stream in scenario.demand
        ]
        self._stream_rngs = [
            random.Random(f"{seed}:demand:{index}:{stream.name}")
            for index, stream in enumerate(scenario.demand)
        ]
        self._waiting = LevelSeries(self.grid)
        self._waiting_by_queue = {sid: LevelSeries(self.grid) for sid in self._queue_names}
        self._staffed = LevelSeries(self.grid)
        self._busy = LevelSeries(self.grid)
        self.total = Tally()
        self._by_queue: dict[str, Tally] = {}
        self._by_channel: dict[str, Tally] = {}
        self._by_interval = [Tally() for _ in range(len(self.grid))]
        self._available = ""
        self._offline = ""
        self._away = ""

    # ------------------------------------------------------------------ set-up

    def _set_up(self) -> None:
        scenario = self.scenario
        engine = self.engine
        self._available, self._offline, self._away = "WAavailable", "WAoffline", "WAaway"
        engine.upsert_activity(Activity(self._available, "Disponível", True))
        engine.upsert_activity(Activity(self._offline, "Offline", False))
        engine.upsert_activity(Activity(self._away, "Ausente", False))
        engine.configure_workspace(
            WorkspaceSettings(
                default_activity_sid=self._offline,
                timeout_activity_sid=self._away,
                multi_task_enabled=True,
            )
        )
        for channel in scenario.channels:
            engine.upsert_task_channel(
                TaskChannel(f"TC{channel.unique_name}", channel.unique_name, channel.friendly_name)
            )
        for queue in scenario.queues:
            engine.upsert_task_queue(
                TaskQueue(
                    queue.sid,
                    queue.friendly_name,
                    queue.target_workers,
                    queue.task_order,
                    queue.max_reserved_workers,
                )
            )
        workflow = scenario.workflow
        configuration = parse_workflow_configuration(
            workflow.configuration, self._queue_names.keys()
        )
        engine.upsert_workflow(
            Workflow(
                workflow.sid,
                workflow.friendly_name,
                configuration,
                workflow.task_reservation_timeout,
            )
        )
        for spec_index, spec in enumerate(scenario.agents):
            for name in spec.names():
                self._add_agent(spec_index, spec, name)
        for index in range(len(scenario.demand)):
            self._schedule_next_arrival(index, 0.0)

    def _add_agent(self, spec_index: int, spec: AgentSpec, name: str) -> None:
        sid = f"WK{len(self._agents) + 1:032x}"
        agent = _Agent(sid, name, spec, random.Random(f"{self.seed}:agent:{spec_index}:{name}"))
        self._agents[sid] = agent
        self.engine.upsert_worker(
            sid, friendly_name=name, attributes=spec.attributes, activity_sid=self._offline
        )
        for channel in self.scenario.channels:
            self.engine.update_worker_channel(
                sid, channel.unique_name, capacity=spec.capacity(channel)
            )
        for day in range(self.days):
            for shift in spec.shifts:
                self._schedule(day * DAY + shift.start, _Step.SHIFT_START, agent)
                self._schedule(day * DAY + shift.end, _Step.SHIFT_END, agent)

    # --------------------------------------------------------------- main loop

    def run(self, progress: Progress | None = None) -> SimulationResult:
        """Simulate until every interval has passed plus the drain time; ``progress`` gets
        the share of simulated time done, now and then."""
        if self._sequence:
            raise RuntimeError("a Simulation runs once; create another for another run")
        self._set_up()
        events = self._events
        engine = self.engine
        clock = self.clock
        end = self.end
        report_every = (end / 200) if progress else math.inf
        next_report = report_every
        while True:
            upcoming = events[0][0] if events else math.inf
            deadline = engine.next_deadline()
            if deadline is None:
                deadline = math.inf
            instant = min(upcoming, deadline)
            if instant > end:
                break
            clock.now = max(clock.now, instant)
            if deadline <= upcoming:
                self._apply(engine.advance())
            else:
                _, _, step, payload = heapq.heappop(events)
                self._dispatch(step, payload)
            self._steps += 1
            if self._steps % DRAIN_EVERY == 0:
                engine.drain_changes()
            if progress is not None and clock.now >= next_report:
                progress(min(clock.now / end, 1.0))
                next_report = clock.now + report_every
        clock.now = end
        if progress is not None:
            progress(1.0)
        return self._result()

    def _schedule(self, instant: float, step: _Step, payload: object) -> None:
        self._sequence += 1
        heapq.heappush(self._events, (instant, self._sequence, step, payload))

    def _dispatch(self, step: _Step, payload: object) -> None:
        if step is _Step.ARRIVAL:
            assert isinstance(payload, tuple)
            self._arrive(*payload)
            return
        if step in (_Step.SHIFT_START, _Step.SHIFT_END, _Step.RETURN):
            assert isinstance(payload, _Agent)
            self._shift(payload, step)
            return
        assert isinstance(payload, str)
        if step is _Step.ANSWER:
            reservation = self.engine.reservations.get(payload)
            if reservation is not None and reservation.status is ReservationStatus.PENDING:
                self._apply(self.engine.accept_reservation(payload))
        elif step is _Step.HANG_UP:
            waiting = self._contacts.get(payload)
            if waiting is not None and waiting.state is _State.WAITING:
                waiting.hanging_up = True
                self._apply(
                    self.engine.update_task(
                        payload, assignment_status=TaskStatus.CANCELED, reason=ABANDONED_REASON
                    )
                )
        elif step is _Step.FINISH:
            contact = self._contacts[payload]
            if contact.wrap > 0:
                self._apply(self.engine.update_task(payload, assignment_status=TaskStatus.WRAPPING))
                self._schedule(self.clock.now + contact.wrap, _Step.WRAPPED, payload)
            else:
                self._complete(payload)
        else:
            self._complete(payload)

    def _complete(self, task_sid: str) -> None:
        self._apply(self.engine.update_task(task_sid, assignment_status=TaskStatus.COMPLETED))
        contact = self._contacts.pop(task_sid)
        contact.state = _State.ENDED
        if contact.agent is not None:
            self._agent_change(contact.agent, busy=-1)

    # ---------------------------------------------------------------- arrivals

    def _schedule_next_arrival(self, stream_index: int, after: float) -> None:
        """Poisson arrivals whose rate is constant within each interval: draw an exponential
        gap at the interval's rate; a gap running past the interval's end restarts at the
        next interval (memorylessness makes that exact)."""
        volumes = self._volumes[stream_index]
        rng = self._stream_rngs[stream_index]
        grid = self.grid
        index = grid.index(after)
        if index is None:
            index = grid.next_index(after)
        while index < len(grid):
            start = grid.start(index)
            volume = volumes[index % grid.count]
            if volume > 0:
                instant = max(after, start) + rng.expovariate(volume / grid.length)
                if instant < start + grid.length:
                    self._schedule(instant, _Step.ARRIVAL, (stream_index, index))
                    return
            index += 1

    def _arrive(self, stream_index: int, interval: int) -> None:
        now = self.clock.now
        stream = self.scenario.demand[stream_index]
        rng = self._stream_rngs[stream_index]
        handle = stream.handle_time.sample(rng)
        wrap = stream.wrap_up.sample(rng) if stream.wrap_up is not None else 0.0
        patience = stream.patience.sample(rng) if stream.patience is not None else math.inf
        self._schedule_next_arrival(stream_index, now)
        events = self.engine.create_task(
            workflow_sid=self.scenario.workflow.sid,
            attributes=stream.attributes,
            priority=stream.priority,
            task_channel=stream.channel,
        )
        sid = events[0].resource_sid
        self._contacts[sid] = _Contact(stream_index, stream.channel, now, handle, wrap, interval)
        self._waiting.change(now, +1)
        if math.isfinite(patience):
            self._schedule(now + patience, _Step.HANG_UP, sid)
        self._apply(events)

    # ------------------------------------------------------------------ agents

    def _shift(self, agent: _Agent, step: _Step) -> None:
        engine = self.engine
        if step is _Step.SHIFT_START:
            self._agent_change(agent, on_shift=True)
            self._apply(engine.set_worker_activity(agent.sid, self._available))
        elif step is _Step.SHIFT_END:
            self._agent_change(agent, on_shift=False)
            self._apply(engine.set_worker_activity(agent.sid, self._offline))
        elif agent.on_shift and engine.workers[agent.sid].activity_sid == self._away:
            self._apply(engine.set_worker_activity(agent.sid, self._available))

    def _agent_change(self, agent: _Agent, *, on_shift: bool | None = None, busy: int = 0) -> None:
        now = self.clock.now
        was_staffed, was_busy = agent.staffed, agent.busy > 0
        if was_staffed:
            agent.staffed_seconds += now - agent.since
        if was_busy:
            agent.busy_seconds += now - agent.since
        agent.since = now
        if on_shift is not None:
            agent.on_shift = on_shift
        agent.busy += busy
        if agent.staffed != was_staffed:
            self._staffed.change(now, 1 if agent.staffed else -1)
        if (agent.busy > 0) != was_busy:
            self._busy.change(now, -1 if was_busy else 1)

    # ------------------------------------------------------------ engine events

    def _apply(self, events: list[RoutingEvent]) -> None:
        for event in events:
            kind = event.event_type
            if kind == EventType.TASK_QUEUE_ENTERED:
                self._entered_queue(event)
            elif kind == EventType.RESERVATION_CREATED:
                self._offered(event)
            elif kind == EventType.RESERVATION_ACCEPTED:
                self._answered(event)
            elif kind == EventType.TASK_CANCELED:
                self._canceled(event)
            elif kind == EventType.RESERVATION_TIMEOUT:
                agent = self._agents[event.worker_sid or ""]
                self._schedule(self.clock.now + RETURN_AFTER_MISS, _Step.RETURN, agent)

    def _entered_queue(self, event: RoutingEvent) -> None:
        contact = self._contacts.get(event.task_sid or "")
        if contact is None or contact.state is not _State.WAITING:
            return
        now = self.clock.now
        if contact.queue is not None:
            self._waiting_by_queue[contact.queue].change(now, -1)
        contact.queue = event.queue_sid
        if contact.queue is not None:
            self._waiting_by_queue[contact.queue].change(now, +1)

    def _offered(self, event: RoutingEvent) -> None:
        agent = self._agents[event.worker_sid or ""]
        spec = agent.spec
        if spec.miss_rate and agent.rng.random() < spec.miss_rate:
            return  # lets it ring until the reservation times out
        delay = spec.accept_delay.sample(agent.rng)
        self._schedule(self.clock.now + delay, _Step.ANSWER, event.resource_sid)

    def _answered(self, event: RoutingEvent) -> None:
        sid = event.task_sid or ""
        contact = self._contacts[sid]
        now = self.clock.now
        agent = self._agents[event.worker_sid or ""]
        self._leave_queue(contact, now)
        contact.state = _State.HANDLED
        contact.agent = agent
        if event.queue_sid is not None:
            contact.queue = event.queue_sid
        agent.handled += 1
        self._agent_change(agent, busy=+1)
        wait = now - contact.arrived
        in_time = wait <= self._thresholds[contact.channel]
        for tally in self._tallies(contact):
            tally.add_handled(wait, in_time)
        self._schedule(now + contact.handle, _Step.FINISH, sid)

    def _canceled(self, event: RoutingEvent) -> None:
        sid = event.task_sid or ""
        contact = self._contacts.pop(sid, None)
        if contact is None or contact.state is not _State.WAITING:
            return
        now = self.clock.now
        self._leave_queue(contact, now)
        contact.state = _State.ENDED
        for tally in self._tallies(contact):
            if contact.hanging_up:
                tally.add_abandoned(now - contact.arrived)
            else:
                tally.add_canceled()

    def _leave_queue(self, contact: _Contact, now: float) -> None:
        self._waiting.change(now, -1)
        if contact.queue is not None:
            self._waiting_by_queue[contact.queue].change(now, -1)

    def _tallies(self, contact: _Contact) -> tuple[Tally, ...]:
        queue = self._queue_names.get(contact.queue or "", "(sem fila)")
        by_queue = self._by_queue.get(queue)
        if by_queue is None:
            by_queue = self._by_queue[queue] = Tally()
        by_channel = self._by_channel.get(contact.channel)
        if by_channel is None:
            by_channel = self._by_channel[contact.channel] = Tally()
        return (self.total, by_queue, by_channel, self._by_interval[contact.interval])

    # ----------------------------------------------------------------- results

    def _result(self) -> SimulationResult:
        end = self.end
        for contact in self._contacts.values():
            if contact.state is _State.WAITING:
                for tally in self._tallies(contact):
                    tally.add_waiting(end - contact.arrived)
        for agent in self._agents.values():
            self._agent_change(agent)
        series = [self._waiting, self._staffed, self._busy, *self._waiting_by_queue.values()]
        for level in series:
            level.close(end)
        waiting, peaks = self._waiting.averages(), self._waiting.peaks()
        staffed, busy = self._staffed.averages(), self._busy.averages()
        by_queue = {
            self._queue_names[sid]: level.averages()
            for sid, level in self._waiting_by_queue.items()
        }
        intervals = [
            IntervalResult(
                start=self.grid.start(index),
                tally=self._by_interval[index],
                average_waiting=waiting[index],
                peak_waiting=peaks[index],
                waiting_by_queue={name: values[index] for name, values in by_queue.items()},
                agents_staffed=staffed[index],
                agents_busy=busy[index],
            )
            for index in range(len(self.grid))
        ]
        return SimulationResult(
            scenario=self.scenario.name,
            seed=self.seed,
            days=self.days,
            agent_count=len(self._agents),
            total=self.total,
            by_queue=dict(sorted(self._by_queue.items())),
            by_channel=dict(sorted(self._by_channel.items())),
            intervals=intervals,
            agents=[
                AgentResult(agent.name, agent.staffed_seconds, agent.busy_seconds, agent.handled)
                for agent in self._agents.values()
            ],
            steps=self._steps,
            thresholds=dict(self._thresholds),
        )


def simulate(
    scenario: Scenario,
    *,
    seed: int = 7,
    days: int = 1,
    progress: Progress | None = None,
) -> SimulationResult:
    """Run ``scenario`` for ``days`` simulated days with ``seed``."""
    return Simulation(scenario, seed=seed, days=days).run(progress)
