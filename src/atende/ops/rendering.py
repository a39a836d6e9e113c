"""Server-rendered pages of the operations domain (Jinja2, pt-BR, no build step)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_environment = Environment(
    loader=PackageLoader("atende.ops", "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _local(instant: datetime | None, zone: str, pattern: str = "%d/%m/%Y %H:%M") -> str:
    return "—" if instant is None else instant.astimezone(ZoneInfo(zone)).strftime(pattern)


def _percent(value: float, digits: int = 2) -> str:
    return f"{value * 100:.{digits}f}".replace(".", ",") + "%"


_environment.filters["local"] = _local
_environment.filters["percent"] = _percent


def render(template: str, **context: Any) -> str:
    return _environment.get_template(template).render(**context)
