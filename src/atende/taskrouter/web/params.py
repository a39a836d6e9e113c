"""Reading Twilio-style parameters (PascalCase, form-encoded or query) with errors that name them.

FastAPI's own validation would answer with its own shape and snake_case names; TaskRouter
clients expect `Missing required parameter FriendlyName in the post body`, so parameters are read
by hand through this one class."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import ImmutableMultiDict, QueryParams
from starlette.requests import Request

from atende.taskrouter.errors import invalid, missing

MAX_URL_LENGTH = 2048
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


class Params:
    """Typed access to one request's parameters; every reader raises a named 400 on bad input."""

    def __init__(self, values: ImmutableMultiDict[str, Any] | QueryParams, where: str) -> None:
        self._values = values
        self._where = where

    @classmethod
    async def from_body(cls, request: Request) -> Params:
        form = await request.form()
        return cls(form, "post body")

    @classmethod
    def from_query(cls, request: Request) -> Params:
        return cls(request.query_params, "query string")

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def names(self) -> list[str]:
        return list(dict.fromkeys(self._values.keys()))

    def text(self, name: str, *, required: bool = False, max_length: int = 0) -> str | None:
        value = self._values.get(name)
        if value is None:
            if required:
                raise missing(name, self._where)
            return None
        if not isinstance(value, str):
            raise invalid(name, "must be a text value, not a file")
        if required and not value.strip():
            raise missing(name, self._where)
        if max_length and len(value) > max_length:
            raise invalid(name, f"must be at most {max_length} characters long")
        return value

    def url(self, name: str) -> str | None:
        """A callback address: absolute http(s), or empty to clear it. Checked when given, so
        a typo surfaces here instead of as callbacks failing later, unseen."""
        value = self.text(name, max_length=MAX_URL_LENGTH)
        if not value:
            return value
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise invalid(name, f"{value!r} is not an absolute http or https URL")
        return value.strip()

    def required_text(self, name: str, *, max_length: int = 0) -> str:
        value = self.text(name, required=True, max_length=max_length)
        assert value is not None
        return value

    def texts(self, name: str) -> list[str]:
        """A repeated parameter (`AssignmentStatus=pending&AssignmentStatus=reserved`); a single
        comma-separated value is accepted too, as TaskRouter does."""
        values: list[str] = []
        for value in self._values.getlist(name):
            if isinstance(value, str):
                values.extend(part.strip() for part in value.split(",") if part.strip())
        return values

    def integer(
        self, name: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        raw = self.text(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw.strip())
        except ValueError:
            raise invalid(name, f"{raw!r} is not an integer") from None
        if minimum is not None and value < minimum:
            raise invalid(name, f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise invalid(name, f"must be at most {maximum}, got {value}")
        return value

    def boolean(self, name: str) -> bool | None:
        raw = self.text(name)
        if raw is None or raw == "":
            return None
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise invalid(name, f"{raw!r} is not a boolean (true or false)")

    def choice(self, name: str, choices: Iterable[str]) -> str | None:
        raw = self.text(name)
        if raw is None or raw == "":
            return None
        allowed = list(choices)
        for option in allowed:
            if raw.lower() == option.lower():
                return option
        raise invalid(name, f"{raw!r} is not one of {', '.join(allowed)}")

    def json_object(self, name: str) -> tuple[str, dict[str, Any]] | None:
        """The text as sent (TaskRouter returns it verbatim) and its parsed object."""
        raw = self.text(name)
        if raw is None:
            return None
        return raw, parse_json_object(name, raw)

    def timestamp(self, name: str) -> datetime | None:
        raw = self.text(name)
        if raw is None or raw == "":
            return None
        return parse_timestamp(name, raw)

    def sid(self, name: str, prefix: str) -> str | None:
        raw = self.text(name)
        if raw is None or raw == "":
            return None
        if not raw.startswith(prefix):
            raise invalid(name, f"{raw!r} is not a {prefix} SID")
        return raw


def parse_json_object(name: str, raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise invalid(
            name, f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise invalid(name, "must be a JSON object")
    return value


def parse_timestamp(name: str, raw: str) -> datetime:
    text = raw.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(name, f"{raw!r} is not an ISO 8601 date-time") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
