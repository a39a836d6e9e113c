"""Invariants of the routing core under random sequences of commands (hypothesis stateful).

After every command:
* no worker holds more reservations on a channel than its capacity (one in total when single
  tasking), except first offers of tasks routed to it with IgnoreCapacity, and the per-channel
  counts agree with the reservations;
* a task routed to a worker or a queue (RoutingTarget) is offered there and nowhere else;
* a task has at most one accepted reservation, and its status agrees with its reservations;
* no task waits in a queue while one of the queue's workers could take it right now;
* a worker offered a task was not handed it over a better task it could take (higher
  priority, then older; newer in LIFO queues) that kept waiting.
At the end, replaying the same commands on a fresh engine gives the same events.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from atende.routing.events import RoutingEvent
from atende.routing.model import (
    ACTIVE_RESERVATION_STATUSES,
    QueueOrder,
    Reservation,
    ReservationStatus,
    Task,
    TaskStatus,
    Worker,
)
from tests.routing.test_engine_harness import AVAILABLE, BUSY, OFFLINE, Center, channel_sid

CHANNELS = ("default", "chat")
SKILLS = ("sales", "care")

Command = tuple[str, dict[str, Any]]


def build(multi_task: bool, worker_skills: list[list[str]]) -> tuple[Center, list[str], list[str]]:
    center = Center(multi_task=multi_task)
    everyone = center.queue("all", max_reserved=2)
    sales = center.queue("sales", "skills HAS 'sales'", max_reserved=3)
    care = center.queue("care", "skills HAS 'care'", order=QueueOrder.LIFO)
    workflows = [
        center.simple_workflow(everyone, "plain"),
        center.workflow(
            "by-type",
            {
                "task_routing": {
                    "filters": [
                        {
                            "expression": "type == 'sales'",
                            "targets": [
                                {"queue": sales, "timeout": 20, "priority": 5},
                                {"queue": everyone, "priority": 9},
                            ],
                        }
                    ],
                    "default_filter": {"queue": care},
                }
            },
            reservation_timeout=15,
        ),
        center.workflow(
            "known-then-care",
            {
                "task_routing": {
                    "filters": [
                        {
                            "expression": "1==1",
                            "targets": [
                                {
                                    "queue": everyone,
                                    "known_worker_friendly_name": "task.agent",
                                    "timeout": 10,
                                    "skip_if": "workers.available == 0",
                                },
                                {"queue": care, "timeout": 30},
                            ],
                        }
                    ]
                }
            },
        ),
    ]
    workers = [
        center.worker(f"w{index}", {"skills": skills}) for index, skills in enumerate(worker_skills)
    ]
    return center, workflows, workers


def queue_key(center: Center, task: Task) -> tuple[float, ...]:
    """The order the engine must assign waiting tasks in (smaller first)."""
    queue = center.engine.task_queues[task.queue_sid or ""]
    rank = 0 if queue.task_order == center.engine.settings.prioritize_queue_order else 1
    if queue.task_order == QueueOrder.LIFO:
        return (rank, 0, -task.virtual_start_time)
    return (rank, -task.priority, task.virtual_start_time)


def can_take_now(center: Center, worker: Worker, channel: str) -> bool:
    if not worker.available:
        return False
    if not center.engine.settings.multi_task_enabled:
        return worker.occupied == 0
    state = worker.channels[channel]
    return state.available and state.occupied < state.configured_capacity


def unrestricted(center: Center, task: Task) -> bool:
    target = task.routing_target or ""
    if target.startswith("WK"):
        return False
    if target.startswith("WQ"):
        return True
    workflow = center.engine.workflows[task.workflow_sid]
    assert task.filter_index is not None
    workflow_target = workflow.configuration.target((task.filter_index, task.target_index))
    return not workflow_target.restricted


class RoutingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.commands: list[Command] = []
        self.events: list[RoutingEvent] = []

    @initialize(
        multi_task=st.booleans(),
        worker_skills=st.lists(
            st.lists(st.sampled_from(SKILLS), unique=True, max_size=2), min_size=1, max_size=3
        ),
    )
    def setup(self, multi_task: bool, worker_skills: list[list[str]]) -> None:
        self.multi_task = multi_task
        self.worker_skills = worker_skills
        self.center, self.workflows, self.worker_sids = build(multi_task, worker_skills)
        self.waiting_before: dict[str, str | None] = {}

    # -- applying commands (recorded for the replay)

    def apply(self, name: str, **arguments: Any) -> None:
        self.commands.append((name, arguments))
        self.waiting_before = {
            sid: task.queue_sid
            for sid, task in self.center.engine.tasks.items()
            if task.assignment_status is TaskStatus.PENDING
        }
        produced = run(self.center, name, arguments)
        self.events.extend(produced)
        self.check_offers(produced)

    def pick(self, data: st.DataObject, values: list[str]) -> str | None:
        if not values:
            return None
        return data.draw(st.sampled_from(sorted(values)))

    def reservations(self, status: ReservationStatus) -> list[str]:
        return [r.sid for r in self.center.engine.reservations.values() if r.status is status]

    def tasks(self, *statuses: TaskStatus) -> list[str]:
        return [t.sid for t in self.center.engine.tasks.values() if t.assignment_status in statuses]

    # -- rules

    @rule(
        data=st.data(),
        priority=st.integers(0, 1),
        channel=st.sampled_from(CHANNELS),
        kind=st.sampled_from(["sales", "claim"]),
        agent=st.integers(0, 4),
        gap=st.sampled_from([0, 1]),
    )
    def create_task(
        self, data: st.DataObject, priority: int, channel: str, kind: str, agent: int, gap: int
    ) -> None:
        if gap:
            self.apply("advance", seconds=gap)  # tasks of different ages
        workflow = data.draw(st.sampled_from(self.workflows))
        attributes = {"type": kind, "agent": f"w{agent}"}
        self.apply(
            "create_task",
            workflow_sid=workflow,
            attributes=attributes,
            priority=priority,
            task_channel=channel,
        )

    @rule(
        data=st.data(),
        channel=st.sampled_from(CHANNELS),
        to_worker=st.booleans(),
        ignore_capacity=st.sampled_from([None, True, False]),
    )
    def create_routed_task(
        self, data: st.DataObject, channel: str, to_worker: bool, ignore_capacity: bool | None
    ) -> None:
        """RoutingTarget: straight to a worker (its first offer may ignore its capacity) or
        to a queue, past the workflow's filters."""
        workflow = data.draw(st.sampled_from(self.workflows))
        if to_worker:
            target = data.draw(st.sampled_from(self.worker_sids))
            extra = {} if ignore_capacity is None else {"ignore_capacity": ignore_capacity}
        else:
            target = data.draw(st.sampled_from(sorted(self.center.engine.task_queues)))
            extra = {}
        self.apply(
            "create_task",
            workflow_sid=workflow,
            attributes={"type": "claim"},
            task_channel=channel,
            routing_target=target,
            **extra,
        )

    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        sid = self.pick(data, self.reservations(ReservationStatus.PENDING))
        if sid is not None:
            self.apply("accept_reservation", sid=sid)

    @rule(data=st.data(), go_busy=st.booleans())
    def reject(self, data: st.DataObject, go_busy: bool) -> None:
        sid = self.pick(data, self.reservations(ReservationStatus.PENDING))
        if sid is not None:
            self.apply("reject_reservation", sid=sid, activity_sid=BUSY if go_busy else None)

    @rule(data=st.data(), wrap_first=st.booleans())
    def finish(self, data: st.DataObject, wrap_first: bool) -> None:
        sid = self.pick(data, self.tasks(TaskStatus.ASSIGNED, TaskStatus.WRAPPING))
        if sid is None:
            return
        if wrap_first and self.center.engine.tasks[sid].assignment_status is TaskStatus.ASSIGNED:
            self.apply("update_task", sid=sid, assignment_status="wrapping")
        else:
            self.apply("update_task", sid=sid, assignment_status="completed")

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        sid = self.pick(data, self.tasks(TaskStatus.PENDING, TaskStatus.RESERVED))
        if sid is not None:
            self.apply("update_task", sid=sid, assignment_status="canceled", reason="gone")

    @rule(data=st.data(), priority=st.integers(0, 9), kind=st.sampled_from(["sales", "claim"]))
    def update_task(self, data: st.DataObject, priority: int, kind: str) -> None:
        sid = self.pick(data, self.tasks(TaskStatus.PENDING, TaskStatus.RESERVED))
        if sid is None:
            return
        if data.draw(st.booleans()):
            self.apply("update_task", sid=sid, priority=priority)
        else:
            self.apply("update_task", sid=sid, attributes={"type": kind})

    @rule(data=st.data(), channel=st.sampled_from(CHANNELS))
    def change_channel(self, data: st.DataObject, channel: str) -> None:
        sid = self.pick(data, self.tasks(TaskStatus.PENDING, TaskStatus.RESERVED))
        if sid is not None:
            self.apply("update_task", sid=sid, task_channel=channel)

    @rule(data=st.data(), activity=st.sampled_from([AVAILABLE, BUSY, OFFLINE]))
    def set_activity(self, data: st.DataObject, activity: str) -> None:
        worker = data.draw(st.sampled_from(self.worker_sids))
        self.apply("set_worker_activity", worker_sid=worker, activity_sid=activity)

    @rule(data=st.data(), channel=st.sampled_from(CHANNELS), extra=st.integers(0, 2))
    def raise_capacity(self, data: st.DataObject, channel: str, extra: int) -> None:
        worker = self.center.engine.workers[data.draw(st.sampled_from(self.worker_sids))]
        current = worker.channels[channel_sid(channel)].configured_capacity
        self.apply(
            "update_worker_channel",
            worker_sid=worker.sid,
            task_channel=channel,
            capacity=current + extra,
        )

    @rule(data=st.data(), skills=st.lists(st.sampled_from(SKILLS), unique=True, max_size=2))
    def change_skills(self, data: st.DataObject, skills: list[str]) -> None:
        worker = data.draw(st.sampled_from(self.worker_sids))
        self.apply("upsert_worker", sid=worker, attributes={"skills": skills})

    @rule(seconds=st.sampled_from([1, 5, 12, 30]))
    def wait(self, seconds: int) -> None:
        self.apply("advance", seconds=seconds)

    @rule()
    def drain(self) -> None:
        self.apply("drain_changes")

    # -- invariants

    def check_offers(self, produced: list[RoutingEvent]) -> None:
        """An offered worker was not handed a task over a better one it could take, among the
        tasks already waiting in their queue before the command."""
        engine = self.center.engine
        for event in produced:
            if event.event_type != "reservation.created" or forced(
                self.center, engine.reservations[event.resource_sid]
            ):
                continue
            offered = engine.tasks[event.task_sid or ""]
            worker = engine.workers[event.worker_sid or ""]
            for sid, queue_before in self.waiting_before.items():
                after = engine.tasks.get(sid)
                if (
                    after is None
                    or after.assignment_status is not TaskStatus.PENDING
                    or after.queue_sid != queue_before  # it moved in after the offer was made
                ):
                    continue
                if (
                    after.task_channel_sid == offered.task_channel_sid
                    and worker.sid in engine.eligible_workers(after.queue_sid or "")
                    and unrestricted(self.center, after)
                ):
                    assert queue_key(self.center, offered) <= queue_key(self.center, after), (
                        f"{worker.sid} got {offered.sid} while better {sid} kept waiting"
                    )

    @invariant()
    def capacity_is_never_exceeded_and_counts_agree(self) -> None:
        if not hasattr(self, "center"):
            return
        engine = self.center.engine
        for worker in engine.workers.values():
            active = [
                r
                for r in engine.reservations.values()
                if r.worker_sid == worker.sid and r.status in ACTIVE_RESERVATION_STATUSES
            ]
            chosen = [r for r in active if not forced(self.center, r)]
            if not engine.settings.multi_task_enabled:
                assert len(chosen) <= 1
            for channel in worker.channels.values():
                mine = [r for r in active if r.task_channel_sid == channel.task_channel_sid]
                assert channel.occupied == len(mine)
                if engine.settings.multi_task_enabled:
                    assert len([r for r in mine if r in chosen]) <= channel.configured_capacity

    @invariant()
    def routed_tasks_are_offered_only_to_their_target(self) -> None:
        if not hasattr(self, "center"):
            return
        engine = self.center.engine
        for task in engine.tasks.values():
            target = task.routing_target or ""
            for reservation in engine.task_reservations(task.sid):
                if target.startswith("WK"):
                    assert reservation.worker_sid == target
                elif target.startswith("WQ"):
                    assert reservation.queue_sid == target

    @invariant()
    def a_task_is_assigned_at_most_once(self) -> None:
        if not hasattr(self, "center"):
            return
        engine = self.center.engine
        for task in engine.tasks.values():
            history = engine.task_reservations(task.sid)
            taken = [
                r
                for r in history
                if r.status
                in (
                    ReservationStatus.ACCEPTED,
                    ReservationStatus.WRAPPING,
                    ReservationStatus.COMPLETED,
                )
            ]
            pending = [r for r in history if r.status is ReservationStatus.PENDING]
            assert len(taken) <= 1
            if task.assignment_status is TaskStatus.RESERVED:
                assert pending and not taken
            if task.assignment_status is TaskStatus.PENDING:
                assert not pending and not taken
            if task.assignment_status in (TaskStatus.ASSIGNED, TaskStatus.WRAPPING):
                assert len(taken) == 1 and not pending

    @invariant()
    def no_task_waits_while_an_eligible_worker_is_free(self) -> None:
        if not hasattr(self, "center"):
            return
        engine = self.center.engine
        for task in engine.tasks.values():
            if task.assignment_status is not TaskStatus.PENDING or not unrestricted(
                self.center, task
            ):
                continue
            for worker_sid in engine.eligible_workers(task.queue_sid or ""):
                worker = engine.workers[worker_sid]
                assert not can_take_now(self.center, worker, task.task_channel_sid), (
                    f"{task.sid} waits while {worker_sid} is free"
                )

    def teardown(self) -> None:
        if not hasattr(self, "center"):
            return
        replay, _, _ = build(self.multi_task, self.worker_skills)
        replayed: list[RoutingEvent] = []
        for name, arguments in self.commands:
            replayed.extend(run(replay, name, arguments))
        assert [_signature(e) for e in replayed] == [_signature(e) for e in self.events]


def forced(center: Center, reservation: Reservation) -> bool:
    """Whether the offer went to its worker whatever its capacity (IgnoreCapacity): only the
    first offer of such a task does."""
    task = center.engine.tasks.get(reservation.task_sid)
    if task is None or not task.ignore_capacity:
        return False
    return center.engine.task_reservations(task.sid)[0] is reservation


def run(center: Center, name: str, arguments: dict[str, Any]) -> list[RoutingEvent]:
    if name == "advance":
        return center.advance(arguments["seconds"])
    if name == "drain_changes":
        center.engine.drain_changes()
        return []
    method = getattr(center.engine, name)
    sid = arguments.get("sid")
    rest = {key: value for key, value in arguments.items() if key != "sid"}
    result: list[RoutingEvent] = method(sid, **rest) if sid is not None else method(**rest)
    return result


def _signature(event: RoutingEvent) -> tuple[Any, ...]:
    return (
        event.event_type,
        event.resource_sid,
        event.occurred_at,
        event.worker_sid,
        event.queue_sid,
        event.task_assignment_status,
        event.task_priority,
    )


RoutingMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRouting = RoutingMachine.TestCase
