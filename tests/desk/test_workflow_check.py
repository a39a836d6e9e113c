"""The workflow editor's live checks: they answer with the routing core's own verdict."""

from __future__ import annotations

import json

from atende.demo.company import ALL_QUEUES, workflow_configuration
from atende.desk.workflow_check import check_expression, dry_run

QUEUE_SIDS = {queue.key: "WQ" + str(index) * 32 for index, queue in enumerate(ALL_QUEUES)}
NAMES = {QUEUE_SIDS[queue.key]: queue.name for queue in ALL_QUEUES}
CONFIGURATION = workflow_configuration(QUEUE_SIDS)


def test_a_broken_expression_points_at_the_problem() -> None:
    verdict = check_expression("skills HAS 'auto' AND")
    assert not verdict.valid
    assert verdict.position is not None and verdict.position >= len("skills HAS 'auto' ")
    assert check_expression("skills HAS 'auto' AND 'pt' IN languages").valid


def test_dry_run_names_the_queue_and_its_fallback() -> None:
    verdict = dry_run(CONFIGURATION, {"motivo": "cotacao_auto"}, NAMES)
    assert verdict.valid
    # First the customer's previous agent (skipped for a new customer), then the specialists.
    assert [step.queue_name for step in verdict.steps] == [
        "Todos os agentes",
        "Vendas Auto",
        "Relacionamento",
    ]
    assert verdict.steps[0].known_worker == "task.known_worker_sid"
    assert verdict.steps[1].timeout == 60


def test_dry_run_of_an_unmatched_task_uses_the_default_filter() -> None:
    verdict = dry_run(CONFIGURATION, {"motivo": "outra_coisa"}, NAMES)
    assert verdict.filter_name == "Default Filter"
    assert [step.queue_name for step in verdict.steps] == ["Relacionamento"]


def test_an_unknown_queue_is_reported_with_its_path() -> None:
    broken = json.loads(CONFIGURATION)
    broken["task_routing"]["default_filter"]["queue"] = "WQ" + "f" * 32
    verdict = dry_run(json.dumps(broken), None, NAMES)
    assert not verdict.valid
    assert verdict.path == "task_routing.default_filter.queue"


def test_a_workflow_without_default_lets_an_unmatched_task_leave() -> None:
    config = json.loads(CONFIGURATION)
    del config["task_routing"]["default_filter"]
    verdict = dry_run(json.dumps(config), {"motivo": "outra_coisa"}, NAMES)
    assert verdict.valid and verdict.leaves_workflow and verdict.steps == []
