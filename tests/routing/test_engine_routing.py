"""Workflow routing rules: filters, targets and their timeouts, skip_if, known workers, ordering."""

from __future__ import annotations

from typing import Any

import pytest

from atende.routing.model import QueueOrder, TaskStatus
from tests.routing.test_engine_harness import AVAILABLE, Center, types


@pytest.fixture
def center() -> Center:
    return Center()


def steps(*targets: dict[str, Any], expression: str = "1==1") -> dict[str, Any]:
    return {"task_routing": {"filters": [{"expression": expression, "targets": list(targets)}]}}


def test_the_first_matching_filter_wins(center: Center) -> None:
    first = center.queue("first")
    second = center.queue("second")
    workflow = center.workflow(
        "two",
        {
            "task_routing": {
                "filters": [
                    {"expression": "vip == true", "targets": [{"queue": first}]},
                    {
                        "expression": "vip == true OR type == 'sales'",
                        "targets": [{"queue": second}],
                    },
                ]
            }
        },
    )
    assert (
        center.engine.tasks[center.task(workflow, {"vip": True, "type": "sales"})].queue_sid
        == first
    )
    assert center.engine.tasks[center.task(workflow, {"type": "sales"})].queue_sid == second


def test_unmatched_tasks_go_to_the_default_filter_or_leave_the_workflow(center: Center) -> None:
    sales = center.queue("sales")
    everyone = center.queue("everyone")
    filters = [{"expression": "type == 'sales'", "targets": [{"queue": sales}]}]
    with_default = center.workflow(
        "with-default",
        {"task_routing": {"filters": filters, "default_filter": {"queue": everyone}}},
    )
    task = center.task(with_default, {"type": "claim"})
    assert center.engine.tasks[task].queue_sid == everyone

    without_default = center.workflow("without-default", {"task_routing": {"filters": filters}})
    events = center.engine.create_task(workflow_sid=without_default, attributes={"type": "claim"})
    assert types(events) == [
        "task.created",
        "workflow.entered",
        "workflow.timeout",
        "task.canceled",
    ]
    assert events[-1].task_reason == "Workflow Timeout"


def test_target_timeouts_move_the_task_on_measured_against_its_age(center: Center) -> None:
    q1, q2, q3 = center.queue("q1"), center.queue("q2"), center.queue("q3")
    workflow = center.workflow(
        "escalation",
        steps(
            {"queue": q1, "timeout": 10},
            {"queue": q2, "timeout": 10, "priority": 5},
            {"queue": q3, "timeout": 10},
        ),
    )
    task = center.task(workflow)
    assert center.engine.next_deadline() == center.clock.now + 10

    assert center.advance(9.5) == []
    events = center.advance(0.5)
    assert types(events) == ["task-queue.timeout", "workflow.target-matched", "task-queue.entered"]
    moved = center.engine.tasks[task]
    assert (moved.queue_sid, moved.target_index, moved.priority) == (q2, 1, 5)
    assert events[0].queue_sid == q1 and events[-1].queue_sid == q2
    assert events[1].data is not None and events[1].data["target_index"] == 1

    # The second step ends at age 20, not 10 seconds after some later event.
    center.advance(10)
    assert center.engine.tasks[task].queue_sid == q3
    assert center.engine.tasks[task].target_deadline == moved.created_at + 30


def test_the_last_target_timing_out_cancels_the_task(center: Center) -> None:
    queue = center.queue("only")
    workflow = center.workflow("short", steps({"queue": queue, "timeout": 30}))
    task = center.task(workflow)
    events = center.advance(30)
    assert types(events) == ["task-queue.timeout", "workflow.timeout", "task.canceled"]
    canceled = center.engine.tasks[task]
    assert (canceled.assignment_status, canceled.reason) == (
        TaskStatus.CANCELED,
        "Workflow Timeout",
    )
    assert center.engine.next_deadline() is None


def test_a_timeout_continues_with_the_next_matching_filter_not_the_default(center: Center) -> None:
    q1, q2, q3 = center.queue("q1"), center.queue("q2"), center.queue("q3")
    workflow = center.workflow(
        "chain",
        {
            "task_routing": {
                "filters": [
                    {"expression": "1==1", "targets": [{"queue": q1, "timeout": 5}]},
                    {"expression": "lang == 'es'", "targets": [{"queue": q2, "timeout": 5}]},
                ],
                "default_filter": {"queue": q3},
            }
        },
    )
    spanish = center.task(workflow, {"lang": "es"})
    other = center.task(workflow, {"lang": "pt"})
    center.advance(5)
    assert center.engine.tasks[spanish].queue_sid == q2
    assert center.engine.tasks[other].assignment_status is TaskStatus.CANCELED
    center.advance(5)
    assert center.engine.tasks[spanish].assignment_status is TaskStatus.CANCELED


def test_a_reserved_task_checks_its_step_timeout_when_the_offer_ends(center: Center) -> None:
    q1, q2 = center.queue("q1"), center.queue("q2")
    workflow = center.workflow("w", steps({"queue": q1, "timeout": 10}, {"queue": q2}))
    center.worker("una")
    task = center.task(workflow)
    offer = center.pending_reservation(task)
    assert center.advance(15) == []  # reserved: the step timeout waits for the offer
    events = center.engine.reject_reservation(offer.sid, activity_sid="WA" + "b" * 32)
    assert "task-queue.timeout" in types(events)
    assert center.engine.tasks[task].queue_sid == q2


def test_skip_if_skips_a_step_when_nobody_can_take_the_task_now(center: Center) -> None:
    experts = center.queue("experts", "level >= 3")
    everyone = center.queue("everyone")
    workflow = center.workflow(
        "skip",
        steps(
            {"queue": experts, "timeout": 60, "skip_if": "workers.available == 0"},
            {"queue": everyone},
        ),
    )
    center.worker("vera", {"level": 3}, available=False)
    walt = center.worker("walt", {"level": 1})
    task = center.task(workflow)
    assert center.engine.tasks[task].queue_sid == everyone
    assert center.assigned_worker(task) == walt


def test_skip_if_is_not_applied_when_a_reservation_is_created_at_once(center: Center) -> None:
    experts = center.queue("experts", "level >= 3")
    everyone = center.queue("everyone")
    workflow = center.workflow(
        "skip",
        steps({"queue": experts, "skip_if": "1==1"}, {"queue": everyone}),
    )
    xena = center.worker("xena", {"level": 5})
    task = center.task(workflow)
    assert center.engine.tasks[task].queue_sid == experts
    assert center.assigned_worker(task) == xena


def test_skipping_the_last_step_leaves_the_workflow(center: Center) -> None:
    queue = center.queue("nobody")
    workflow = center.workflow(
        "skip-out", steps({"queue": queue, "skip_if": "workers.available == 0"})
    )
    events = center.engine.create_task(workflow_sid=workflow)
    assert types(events)[-2:] == ["workflow.skipped", "task.canceled"]
    assert events[-1].task_reason == "Workflow Skipped"


def test_skip_if_sees_worker_counts_by_activity(center: Center) -> None:
    queue = center.queue("team")
    fallback = center.queue("fallback")
    workflow = center.workflow(
        "by-activity",
        steps(
            {"queue": queue, "skip_if": f"workers.{AVAILABLE} < 2", "timeout": 100},
            {"queue": fallback},
        ),
    )
    center.worker("yara", available=False)
    assert center.engine.tasks[center.task(workflow)].queue_sid == fallback


def test_known_worker_by_sid_from_a_task_attribute(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.workflow(
        "known",
        steps({"queue": queue, "known_worker_sid": "task.agent", "timeout": 20}, {"queue": queue}),
    )
    zoe = center.worker("zoe")
    center.clock.tick(1)
    amy = center.worker("amy")
    task = center.task(workflow, {"agent": amy})
    assert center.assigned_worker(task) == amy  # zoe idled longer but is not the known one
    assert center.assigned_worker(center.task(workflow)) is None  # no known worker named
    assert zoe != amy


def test_known_worker_waits_for_that_worker_until_the_step_times_out(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.workflow(
        "known",
        steps({"queue": queue, "known_worker_friendly_name": "task.agent", "timeout": 20}, {}),
    )
    ben = center.worker("ben")
    cruz = center.worker("Cruz", available=False)
    task = center.task(workflow, {"agent": "cruz"})
    assert center.assigned_worker(task) is None  # ben is free but not the known worker
    center.advance(20)
    assert center.assigned_worker(task) == ben
    assert cruz != ben


def test_known_worker_gets_the_task_when_it_becomes_available(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.workflow(
        "known", steps({"queue": queue, "known_worker_sid": "task.agent", "timeout": 20}, {})
    )
    center.worker("dora")
    eli = center.worker("eli", available=False)
    task = center.task(workflow, {"agent": eli})
    center.engine.set_worker_activity(eli, AVAILABLE)
    assert center.assigned_worker(task) == eli


def test_target_expressions_compare_task_and_worker(center: Center) -> None:
    queue = center.queue("languages")
    workflow = center.workflow(
        "lang", steps({"queue": queue, "expression": "task.language IN worker.languages"})
    )
    center.worker("fay", {"languages": ["en"]})
    gil = center.worker("gil", {"languages": ["pt", "es"]})
    task = center.task(workflow, {"language": "pt"})
    assert center.assigned_worker(task) == gil


def test_target_expressions_see_worker_channel_figures(center: Center) -> None:
    queue = center.queue("chat")
    workflow = center.workflow(
        "not-on-a-call",
        steps({"queue": queue, "expression": "worker.channel.voice.assigned_tasks == 0"}),
    )
    voice_flow = center.simple_workflow(queue, "voice")
    hal = center.worker("hal")
    ida = center.worker("ida")
    call = center.task(voice_flow, task_channel="voice")
    assert center.assigned_worker(call) == hal
    center.engine.accept_reservation(center.pending_reservation(call).sid)
    chat = center.task(workflow, task_channel="chat")
    assert center.assigned_worker(chat) == ida


def test_order_by_decides_among_eligible_workers(center: Center) -> None:
    queue = center.queue("ranked")
    workflow = center.workflow(
        "ranked", steps({"queue": queue, "order_by": "worker.level DESC, worker.age ASC"})
    )
    center.worker("jan", {"level": 2, "age": 30})
    kai = center.worker("kai", {"level": 5, "age": 40})
    center.worker("lia", {"level": 5, "age": 50})
    assert center.assigned_worker(center.task(workflow)) == kai


def test_the_longest_idle_worker_is_reserved_first(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    mia = center.worker("mia")
    center.clock.tick(1)
    ned = center.worker("ned")
    first = center.task(workflow)
    assert center.assigned_worker(first) == mia
    center.engine.accept_reservation(center.pending_reservation(first).sid)
    center.clock.tick(1)
    center.engine.update_task(first, assignment_status="completed")
    # mia just finished a task: ned has now been idle the longest.
    assert center.assigned_worker(center.task(workflow)) == ned


def test_higher_priority_first_then_oldest(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    old_low = center.task(workflow, priority=1)
    center.clock.tick(1)
    new_high = center.task(workflow, priority=10)
    center.clock.tick(1)
    newer_high = center.task(workflow, priority=10)
    assert center.engine.queued_tasks(queue) == [new_high, newer_high, old_low]
    otto = center.worker("otto")
    assert center.assigned_worker(new_high) == otto


def test_lifo_queues_take_the_newest_task_ignoring_priority(center: Center) -> None:
    queue = center.queue("leads", order=QueueOrder.LIFO)
    workflow = center.simple_workflow(queue)
    old_high = center.task(workflow, priority=10)
    center.clock.tick(1)
    new_low = center.task(workflow, priority=1)
    assert center.engine.queued_tasks(queue) == [new_low, old_high]


def test_virtual_start_time_orders_tasks_like_their_age(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    first = center.task(workflow)
    center.clock.tick(10)
    resumed = center.task(workflow, virtual_start_time=center.clock.now - 60)
    assert center.engine.queued_tasks(queue) == [resumed, first]


@pytest.mark.parametrize(("preferred", "expected"), [("FIFO", "fifo"), ("LIFO", "lifo")])
def test_prioritize_queue_order_picks_between_fifo_and_lifo_queues(
    preferred: str, expected: str
) -> None:
    from atende.routing.model import WorkspaceSettings
    from tests.routing.test_engine_harness import OFFLINE

    center = Center()
    center.engine.configure_workspace(
        WorkspaceSettings(
            default_activity_sid=OFFLINE,
            timeout_activity_sid=OFFLINE,
            prioritize_queue_order=QueueOrder(preferred),
        )
    )
    fifo = center.queue("fifo")
    lifo = center.queue("lifo", order=QueueOrder.LIFO)
    tasks = {
        "fifo": center.task(center.simple_workflow(fifo, "f")),
        "lifo": center.task(center.simple_workflow(lifo, "l")),
    }
    pat = center.worker("pat")
    assert center.assigned_worker(tasks[expected]) == pat


def test_a_target_priority_overrides_the_task_priority(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.workflow("vip", steps({"queue": queue, "priority": 50}))
    task = center.task(workflow, priority=1)
    assert center.engine.tasks[task].priority == 50


def test_priority_updates_reorder_the_queue(center: Center) -> None:
    queue = center.queue("all")
    workflow = center.simple_workflow(queue)
    first = center.task(workflow)
    center.clock.tick(1)
    second = center.task(workflow)
    events = center.engine.update_task(second, priority=3)
    assert types(events) == ["task.updated"]
    assert center.engine.queued_tasks(queue) == [second, first]


def test_workflow_updates_apply_to_waiting_tasks_only_when_reevaluated(center: Center) -> None:
    old = center.queue("old")
    new = center.queue("new")
    workflow = center.simple_workflow(old, "moving")
    task = center.task(workflow)
    center.simple_workflow(new, "moving")
    assert center.engine.tasks[task].queue_sid == old
    from atende.routing.model import Workflow
    from atende.routing.workflow import parse_workflow_configuration

    configuration = parse_workflow_configuration(
        {"task_routing": {"default_filter": {"queue": new}}}
    )
    center.engine.upsert_workflow(
        Workflow(workflow, "moving", configuration), re_evaluate_tasks=True
    )
    assert center.engine.tasks[task].queue_sid == new
