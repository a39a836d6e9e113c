"""Live checks for the admin's workflow editor, run by the same routing core as production:
is this expression valid, is this configuration valid, and where would this task go?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atende.desk.schemas import ExpressionVerdict, RouteStep, WorkflowVerdict
from atende.routing.expression import ExpressionError, compile_expression
from atende.routing.model import DEFAULT_FILTER_INDEX
from atende.routing.workflow import WorkflowConfigurationError, parse_workflow_configuration

MAX_STEPS = 20
DEFAULT_FILTER_NAME = "Default Filter"


def check_expression(text: str) -> ExpressionVerdict:
    try:
        compile_expression(text)
    except ExpressionError as error:
        return ExpressionVerdict(valid=False, error=error.reason, position=error.position)
    return ExpressionVerdict(valid=True)


def dry_run(
    configuration: str,
    task_attributes: Mapping[str, Any] | None,
    queue_names: Mapping[str, str],
) -> WorkflowVerdict:
    """The steps a task would walk if nobody took it: the first queue, then each timeout's."""
    try:
        workflow = parse_workflow_configuration(configuration, known_queue_sids=queue_names.keys())
    except WorkflowConfigurationError as error:
        return WorkflowVerdict(valid=False, error=error.reason, path=error.path)
    if task_attributes is None:
        return WorkflowVerdict(valid=True)
    position = workflow.entry_position(task_attributes)
    if position is None:
        return WorkflowVerdict(valid=True, leaves_workflow=True)
    steps: list[RouteStep] = []
    seen: set[tuple[int, int]] = set()
    filter_name = (
        DEFAULT_FILTER_NAME
        if position[0] == DEFAULT_FILTER_INDEX
        else workflow.filters[position[0]].friendly_name
    )
    current: tuple[int, int] | None = position
    while current is not None and current not in seen and len(steps) < MAX_STEPS:
        seen.add(current)
        target = workflow.target(current)
        steps.append(
            RouteStep(
                queue_sid=target.queue_sid,
                queue_name=queue_names.get(target.queue_sid),
                timeout=target.timeout,
                priority=target.priority,
                expression=target.expression.source if target.expression else None,
                known_worker=target.known_worker.source if target.known_worker else None,
            )
        )
        current = workflow.after_timeout(current, task_attributes) if target.timeout else None
    return WorkflowVerdict(valid=True, filter_name=filter_name, steps=steps)
