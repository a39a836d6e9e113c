"""The TaskRouter expression language: public entry points.

Used for TaskQueue ``target_workers``, workflow ``filter`` expressions, routing-step
``target.expression`` / ``skip_if``, and ``order_by``. Example::

    expression = compile_expression("task.language IN worker.languages AND worker.level >= 3")
    expression.matches({}, scopes={"task": task_attributes, "worker": worker_attributes})

Syntax: comparisons ``== (=) != > >= < <= CONTAINS HAS IN NOT IN`` between literals
(single- or double-quoted strings with JSON escapes, numbers, ``true``, ``false``, ``null``,
array literals) and keys (``a.b[1].c``), combined with ``AND`` (``&&``) and ``OR`` (``||``) and
parentheses; AND binds tighter than OR and keywords are case-insensitive. The value semantics
(mismatched types and missing keys are never equal, never raise) are described in
:mod:`atende.routing.expression_semantics`.

Compilation is memoised: workflows reuse a handful of expressions across millions of
evaluations, so the text is parsed once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from atende.routing.expression_compiler import Predicate, compile_node, constant_predicate
from atende.routing.expression_errors import ExpressionError
from atende.routing.expression_order import OrderBy, build_order_by
from atende.routing.expression_parser import parse_expression

__all__ = ["Expression", "ExpressionError", "OrderBy", "compile_expression", "compile_order_by"]

_NO_SCOPES: Mapping[str, Mapping[str, Any]] = {}

_CACHE_SIZE = 4096


class Expression:
    """A compiled expression; immutable and safe to share between threads and workflows."""

    __slots__ = ("_predicate", "_wildcard", "source")

    def __init__(self, source: str, predicate: Predicate, wildcard: bool) -> None:
        self.source = source
        self._predicate = predicate
        self._wildcard = wildcard

    def matches(
        self,
        attributes: Mapping[str, Any],
        scopes: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> bool:
        """Evaluate against ``attributes``; keys starting with a scope name use that scope."""
        return self._predicate(attributes, _NO_SCOPES if scopes is None else scopes)

    @property
    def is_wildcard(self) -> bool:
        """True when the expression holds for any attributes (``1==1`` and its equivalents)."""
        return self._wildcard

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


@functools.lru_cache(maxsize=_CACHE_SIZE)
def compile_expression(text: str) -> Expression:
    """Compile ``text``; raises :class:`ExpressionError` pointing at the first problem."""
    compiled = compile_node(parse_expression(text))
    if isinstance(compiled, bool):
        return Expression(text, constant_predicate(compiled), wildcard=compiled)
    return Expression(text, compiled, wildcard=False)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def compile_order_by(text: str) -> OrderBy:
    """Compile an ``order_by`` clause such as ``worker.level DESC, worker.age``."""
    return build_order_by(text)
