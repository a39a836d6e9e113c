"""Workflow configuration: validation errors name the JSON path; the step-to-step walk."""

from __future__ import annotations

import json
from typing import Any

import pytest

from atende.routing.model import DEFAULT_FILTER_INDEX
from atende.routing.workflow import (
    DEFAULT_POSITION,
    WorkflowConfigurationError,
    parse_workflow_configuration,
)

Q1 = "WQ" + "1" * 32
Q2 = "WQ" + "2" * 32
Q3 = "WQ" + "3" * 32
KNOWN = {Q1, Q2, Q3}


def config(filters: list[dict[str, Any]], default: dict[str, Any] | None = None) -> dict[str, Any]:
    routing: dict[str, Any] = {"filters": filters}
    if default is not None:
        routing["default_filter"] = default
    return {"task_routing": routing}


def error_of(document: Any) -> WorkflowConfigurationError:
    with pytest.raises(WorkflowConfigurationError) as caught:
        parse_workflow_configuration(document, KNOWN)
    return caught.value


def test_parses_json_text_and_keeps_the_source() -> None:
    text = json.dumps(config([{"expression": "type == 'sales'", "targets": [{"queue": Q1}]}]))
    parsed = parse_workflow_configuration(text, KNOWN)
    assert parsed.source == text
    assert parsed.filters[0].targets[0].queue_sid == Q1
    assert parsed.default_target is None


def test_later_targets_inherit_the_queue_and_numeric_strings_are_accepted() -> None:
    parsed = parse_workflow_configuration(
        config(
            [
                {
                    "filter_friendly_name": "Gold",
                    "expression": "1==1",
                    "targets": [
                        {"queue": Q1, "priority": "10", "timeout": "30"},
                        {"priority": 20},
                        {"queue": Q2},
                    ],
                }
            ]
        ),
        KNOWN,
    )
    first, second, third = parsed.filters[0].targets
    assert (first.queue_sid, first.priority, first.timeout) == (Q1, 10, 30)
    assert (second.queue_sid, second.priority, second.timeout) == (Q1, 20, None)
    assert third.queue_sid == Q2
    assert second.match_data["filter_friendly_name"] == "Gold"
    assert second.match_data["target_index"] == 1
    assert parsed.queue_sids == {Q1, Q2}


@pytest.mark.parametrize(
    ("document", "path", "reason"),
    [
        ("{not json", "configuration", "invalid JSON"),
        ({"routing": {}}, "configuration.routing", "not a known field"),
        ({"task_routing": []}, "task_routing", "must be an object"),
        ({"task_routing": {}}, "task_routing", "needs filters or a default_filter"),
        (
            config(
                [{"expression": "1==1", "targets": [{"queue": Q1}]}, {"targets": [{"queue": Q1}]}]
            ),
            "task_routing.filters[1].expression",
            "is required",
        ),
        (
            config([{"expression": "1==1", "targets": [{"queue": Q1}, {"queue": "WQnope"}]}]),
            "task_routing.filters[0].targets[1].queue",
            "unknown queue WQnope",
        ),
        (
            config([{"expression": "1==1", "targets": [{"timeout": 5}]}]),
            "task_routing.filters[0].targets[0].queue",
            "is required",
        ),
        (
            config([{"expression": "1==1", "targets": []}]),
            "task_routing.filters[0].targets",
            "non-empty list",
        ),
        (
            config([{"expression": "type ==", "targets": [{"queue": Q1}]}]),
            "task_routing.filters[0].expression",
            "Invalid expression",
        ),
        (
            config([{"expression": "1==1", "targets": [{"queue": Q1, "timeout": 0}]}]),
            "task_routing.filters[0].targets[0].timeout",
            "at least 1",
        ),
        (
            config([{"expression": "1==1", "targets": [{"queue": Q1, "priority": "high"}]}]),
            "task_routing.filters[0].targets[0].priority",
            "must be an integer",
        ),
        (
            config(
                [
                    {
                        "expression": "1==1",
                        "targets": [{"queue": Q1, "skip_if": "workers.available =="}],
                    }
                ]
            ),
            "task_routing.filters[0].targets[0].skip_if",
            "Invalid expression",
        ),
        (
            config(
                [
                    {
                        "expression": "1==1",
                        "targets": [{"queue": Q1, "order_by": "worker.level SIDEWAYS"}],
                    }
                ]
            ),
            "task_routing.filters[0].targets[0].order_by",
            "Invalid expression",
        ),
        (
            config(
                [
                    {
                        "expression": "1==1",
                        "targets": [
                            {
                                "queue": Q1,
                                "known_worker_sid": "a",
                                "known_worker_friendly_name": "b",
                            }
                        ],
                    }
                ]
            ),
            "task_routing.filters[0].targets[0].known_worker_friendly_name",
            "cannot be combined",
        ),
        (
            config([{"expression": "1==1", "targets": [{"queue": Q1, "colour": "red"}]}]),
            "task_routing.filters[0].targets[0].colour",
            "not a known field",
        ),
        (
            config([], default={"queue": Q1, "timeout": 10}),
            "task_routing.default_filter.timeout",
            "not a known field",
        ),
        (config([], default={"queue": "WQother"}), "task_routing.default_filter.queue", "unknown"),
    ],
)
def test_errors_name_the_json_path_at_fault(document: Any, path: str, reason: str) -> None:
    error = error_of(document)
    assert error.path == path
    assert reason in error.reason
    assert str(error).startswith(f"{path}: ")


def test_queue_sids_are_only_checked_when_known_queues_are_given() -> None:
    parsed = parse_workflow_configuration(config([], default={"queue": "WQanything"}))
    assert parsed.default_target is not None
    assert parsed.default_target.queue_sid == "WQanything"


def test_known_worker_is_a_literal_or_a_task_attribute() -> None:
    parsed = parse_workflow_configuration(
        config(
            [
                {
                    "expression": "1==1",
                    "targets": [
                        {"queue": Q1, "known_worker_sid": "task.routing.agent"},
                        {"queue": Q1, "known_worker_friendly_name": "Maria"},
                    ],
                }
            ]
        ),
        KNOWN,
    )
    by_reference, by_literal = (t.known_worker for t in parsed.filters[0].targets)
    assert by_reference is not None and by_literal is not None
    assert by_reference.resolve({"routing": {"agent": "WKabc"}}) == "WKabc"
    assert by_reference.resolve({"routing": {}}) is None
    assert by_reference.resolve({"routing": "flat"}) is None
    assert not by_reference.by_friendly_name
    assert by_literal.resolve({}) == "Maria"
    assert by_literal.by_friendly_name


def test_first_matching_filter_wins_and_default_catches_the_rest() -> None:
    parsed = parse_workflow_configuration(
        config(
            [
                {"expression": "type == 'sales'", "targets": [{"queue": Q1}]},
                {"expression": "type == 'sales' OR vip == true", "targets": [{"queue": Q2}]},
            ],
            default={"queue": Q3},
        ),
        KNOWN,
    )
    assert parsed.entry_position({"type": "sales", "vip": True}) == (0, 0)
    assert parsed.entry_position({"type": "support", "vip": True}) == (1, 0)
    assert parsed.entry_position({"type": "support"}) == DEFAULT_POSITION
    assert parsed.target(DEFAULT_POSITION).queue_sid == Q3


def test_filters_may_refer_to_the_task_scope() -> None:
    parsed = parse_workflow_configuration(
        config([{"expression": "task.type == 'sales'", "targets": [{"queue": Q1}]}]), KNOWN
    )
    assert parsed.entry_position({"type": "sales"}) == (0, 0)
    assert parsed.entry_position({"type": "other"}) is None


def test_a_timeout_moves_on_to_the_next_target_then_the_next_matching_filter_only() -> None:
    parsed = parse_workflow_configuration(
        config(
            [
                {"expression": "1==1", "targets": [{"queue": Q1, "timeout": 5}, {"timeout": 5}]},
                {"expression": "type == 'x'", "targets": [{"queue": Q2}]},
                {"expression": "type == 'y'", "targets": [{"queue": Q3}]},
            ],
            default={"queue": Q3},
        ),
        KNOWN,
    )
    assert parsed.after_timeout((0, 0), {"type": "y"}) == (0, 1)
    assert parsed.after_timeout((0, 1), {"type": "y"}) == (2, 0)
    # The default filter is not a next step for a timeout: the task leaves the workflow.
    assert parsed.after_timeout((0, 1), {"type": "z"}) is None
    assert parsed.after_timeout(DEFAULT_POSITION, {}) is None


def test_a_skip_falls_back_to_the_default_filter() -> None:
    parsed = parse_workflow_configuration(
        config(
            [{"expression": "1==1", "targets": [{"queue": Q1, "skip_if": "1==1"}]}],
            default={"queue": Q3},
        ),
        KNOWN,
    )
    assert parsed.after_skip((0, 0), {}) == (DEFAULT_FILTER_INDEX, 0)
    without_default = parse_workflow_configuration(
        config([{"expression": "1==1", "targets": [{"queue": Q1, "skip_if": "1==1"}]}]), KNOWN
    )
    assert without_default.after_skip((0, 0), {}) is None


def test_wildcard_target_expressions_do_not_restrict_the_step() -> None:
    parsed = parse_workflow_configuration(
        config(
            [
                {
                    "expression": "1==1",
                    "targets": [
                        {"queue": Q1, "expression": "1==1"},
                        {"queue": Q1, "expression": "worker.level > 2"},
                    ],
                }
            ]
        ),
        KNOWN,
    )
    wildcard, real = parsed.filters[0].targets
    assert not wildcard.restricted
    assert real.restricted
