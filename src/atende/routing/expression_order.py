"""``order_by`` clauses of workflow targets: ``worker.english_level DESC, worker.age ASC``.

A clause compiles to a sort key so the engine can simply ``sorted(workers, key=...)``. Each
worker gets one component per term; a worker whose value is missing (or is an array or object,
which have no order) gets a component that sorts after every present value, in both directions.
Values of different kinds never compare with each other: numbers come before strings, strings
before booleans.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from atende.routing.expression_compiler import walk
from atende.routing.expression_parser import OrderTerm, parse_order_by
from atende.routing.expression_semantics import STRING, scalar_kind

SortComponent = tuple[Any, ...]

_LAST: SortComponent = (1,)

_WORKER_SCOPE = "worker"


class OrderBy:
    """A compiled ``order_by`` clause."""

    __slots__ = ("_terms", "source")

    def __init__(self, source: str, terms: tuple[OrderTerm, ...]) -> None:
        self.source = source
        self._terms = tuple(_compile_term(term) for term in terms)

    def sort_key(self, worker_attributes: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(term(worker_attributes) for term in self._terms)

    def __repr__(self) -> str:
        return f"OrderBy({self.source!r})"


def build_order_by(text: str) -> OrderBy:
    return OrderBy(text, parse_order_by(text))


def _compile_term(term: OrderTerm) -> Callable[[Mapping[str, Any]], SortComponent]:
    key = term.key
    # Order-by keys are always about the worker; the "worker." prefix is optional.
    path = key.rest if key.head == _WORKER_SCOPE and key.rest else (key.head, *key.rest)
    component = _descending if term.descending else _ascending
    return lambda attributes: component(walk(attributes, path))


def _ascending(value: Any) -> SortComponent:
    kind = scalar_kind(value)
    if kind is None:
        return _LAST
    return (0, kind, value)


def _descending(value: Any) -> SortComponent:
    kind = scalar_kind(value)
    if kind is None:
        return _LAST
    if kind == STRING:
        return (0, kind, _Reversed(value))
    return (0, kind, -value)  # numbers and booleans (True first)


class _Reversed:
    """A string that sorts in reverse, since strings cannot be negated like numbers."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value

    def __gt__(self, other: _Reversed) -> bool:
        return other.value > self.value

    def __le__(self, other: _Reversed) -> bool:
        return other.value <= self.value

    def __ge__(self, other: _Reversed) -> bool:
        return other.value >= self.value

    def __repr__(self) -> str:
        return f"_Reversed({self.value!r})"
