"""Twilio's TaskRouter OpenAPI description, used to check our responses against its schemas.

`SpecChecker.check(method, path, status, body)` finds the operation a request addressed (the
most specific path template wins: `/Workers/Statistics` over `/Workers/{Sid}`), picks the
response schema for the status, and validates the body as OpenAPI 3.0 (`nullable`, formats).
It records which operations were checked, so a test can demand that all were."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from openapi_schema_validator import OAS30Validator

SPEC_PATH = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "twilio_taskrouter_v1.json"
)
if not SPEC_PATH.exists():  # the repository checked out alone
    SPEC_PATH = Path("/work/shared/reference/twilio_taskrouter_v1.json")

METHODS = ("get", "post", "delete")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    parameters: int
    responses: dict[str, Any]


def _operations(spec: dict[str, Any]) -> list[Operation]:
    operations = []
    for template, item in spec["paths"].items():
        regex = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        for method in METHODS:
            if method in item:
                operations.append(
                    Operation(
                        operation_id=item[method]["operationId"],
                        method=method.upper(),
                        template=template,
                        pattern=re.compile(regex),
                        parameters=template.count("{"),
                        responses=item[method]["responses"],
                    )
                )
    return sorted(operations, key=lambda operation: operation.parameters)


@dataclass
class SpecChecker:
    spec: dict[str, Any]
    operations: list[Operation]
    checked: set[str] = field(default_factory=set)

    @classmethod
    def load(cls) -> SpecChecker:
        if not SPEC_PATH.exists():
            pytest.skip(f"Twilio's TaskRouter spec is not at {SPEC_PATH}")
        spec = json.loads(SPEC_PATH.read_text())
        return cls(spec=spec, operations=_operations(spec))

    @property
    def operation_ids(self) -> set[str]:
        return {operation.operation_id for operation in self.operations}

    def operation(self, method: str, url: str) -> Operation:
        path = urlsplit(url).path
        for operation in self.operations:
            if operation.method == method.upper() and operation.pattern.match(path):
                return operation
        raise AssertionError(f"{method} {path} is not an operation of the TaskRouter spec")

    def check(self, method: str, url: str, status: int, body: Any) -> str:
        """Validate one response; returns the operation's ID."""
        operation = self.operation(method, url)
        response = operation.responses.get(str(status))
        assert response is not None, (
            f"{operation.operation_id} answered {status}; the spec knows "
            f"{sorted(operation.responses)}"
        )
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None and schema != {}:
            document = {**schema, "components": self.spec["components"]}
            validator = OAS30Validator(document, format_checker=OAS30Validator.FORMAT_CHECKER)
            errors = sorted(validator.iter_errors(body), key=lambda error: list(error.path))
            assert not errors, f"{operation.operation_id}: " + "; ".join(
                f"{'/'.join(map(str, error.path))}: {error.message}" for error in errors[:5]
            )
        self.checked.add(operation.operation_id)
        return operation.operation_id
