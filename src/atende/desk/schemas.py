"""Request and response shapes of the desk's JSON endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from atende.desk.i18n import LANGUAGES

Text120 = Field(min_length=1, max_length=120)


class DispositionIn(BaseModel):
    label: str = Text120
    code: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,60}$")


class DispositionPatch(BaseModel):
    label: str | None = Field(default=None, min_length=1, max_length=120)
    position: int | None = Field(default=None, ge=0)
    active: bool | None = None


class DispositionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    label: str
    position: int
    active: bool


class CannedResponseIn(BaseModel):
    title: str = Text120
    body: str = Field(min_length=1, max_length=4096)
    language: str = Field(default="pt-BR", pattern="^(" + "|".join(LANGUAGES) + ")$")


class CannedResponsePatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=120)
    body: str | None = Field(default=None, min_length=1, max_length=4096)
    language: str | None = Field(default=None, pattern="^(" + "|".join(LANGUAGES) + ")$")
    position: int | None = Field(default=None, ge=0)
    active: bool | None = None


class CannedResponseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    language: str
    position: int
    active: bool


class ExpressionCheck(BaseModel):
    expression: str = Field(max_length=4096)


class ExpressionVerdict(BaseModel):
    valid: bool
    error: str | None = None
    position: int | None = None


class WorkflowDryRun(BaseModel):
    configuration: str = Field(max_length=100_000)
    task_attributes: dict[str, Any] | None = None


class RouteStep(BaseModel):
    queue_sid: str
    queue_name: str | None
    timeout: int | None
    priority: int | None
    expression: str | None


class WorkflowVerdict(BaseModel):
    valid: bool
    error: str | None = None
    path: str | None = None
    filter_name: str | None = None
    steps: list[RouteStep] = []
    leaves_workflow: bool = False
