"""What each operator means for JSON values, independent of how fast it is evaluated.

TaskRouter only documents that "comparisons between different types should be avoided" and that
scalar operators on arrays (and array operators on two scalars) are false. Atende pins the rest
down so routing never raises while matching:

* Values are classified as null, boolean, number (int or float), string, array (list/tuple) or
  other (objects). Booleans are never numbers: ``true == 1`` is false.
* ``==``, ``!=`` compare two scalars of the same kind; ``>``, ``>=``, ``<``, ``<=`` compare two
  numbers or two strings. Any other pairing, a null, an array or an object gives false. So
  ``!=`` is "both defined, same kind, different": a missing key is never ``!= 'x'``.
* Explicit null checks (``key == null``, ``key != null``) are handled by the compiler, because
  they must see a null operand as a value rather than as "unknown".
* ``CONTAINS``: both strings and the right one is a substring of the left one.
* ``HAS``: the left is an array holding an element of the same kind equal to the right scalar.
* ``IN`` / ``NOT IN``: the left is a non-null scalar and the right an array; (not) a member.

The compiler builds faster specialised closures for the common shapes; its tests check them
against the generic functions below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

NUMBER: Final = 1
STRING: Final = 2
BOOLEAN: Final = 3

BinaryOperator = Callable[[Any, Any], bool]


def scalar_kind(value: Any) -> int | None:
    """NUMBER, STRING or BOOLEAN for a non-null scalar; None for null, arrays and objects."""
    cls = value.__class__
    if cls is str:
        return STRING
    if cls is int or cls is float:
        return NUMBER
    if cls is bool:
        return BOOLEAN
    if value is None:
        return None
    # Subclasses (str-based enums, IntEnum) are rare, so they take the slower path.
    if isinstance(value, str):
        return STRING
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float):
        return NUMBER
    return None


def is_array(value: Any) -> bool:
    return isinstance(value, list | tuple)


def is_member(value: Any, array: Iterable[Any]) -> bool:
    """Membership where only values of the same kind can be equal (so 1 is not true)."""
    kind = scalar_kind(value)
    if kind is None:
        return False
    if kind == STRING:
        return value in array  # nothing but a string equals a string
    if kind == BOOLEAN:
        return any(item is value for item in array)
    return any(item == value and scalar_kind(item) == NUMBER for item in array)


def equals(left: Any, right: Any) -> bool:
    kind = scalar_kind(left)
    return kind is not None and kind == scalar_kind(right) and left == right


def not_equals(left: Any, right: Any) -> bool:
    kind = scalar_kind(left)
    return kind is not None and kind == scalar_kind(right) and left != right


def _orderable(left: Any, right: Any) -> bool:
    kind = scalar_kind(left)
    return kind in (NUMBER, STRING) and kind == scalar_kind(right)


def greater(left: Any, right: Any) -> bool:
    return _orderable(left, right) and left > right


def greater_or_equal(left: Any, right: Any) -> bool:
    return _orderable(left, right) and left >= right


def less(left: Any, right: Any) -> bool:
    return _orderable(left, right) and left < right


def less_or_equal(left: Any, right: Any) -> bool:
    return _orderable(left, right) and left <= right


def contains(left: Any, right: Any) -> bool:
    return isinstance(left, str) and isinstance(right, str) and right in left


def has(left: Any, right: Any) -> bool:
    return is_array(left) and is_member(right, left)


def in_array(left: Any, right: Any) -> bool:
    return is_array(right) and is_member(left, right)


def not_in_array(left: Any, right: Any) -> bool:
    return scalar_kind(left) is not None and is_array(right) and not is_member(left, right)


OPERATORS: Final[dict[str, BinaryOperator]] = {
    "==": equals,
    "!=": not_equals,
    ">": greater,
    ">=": greater_or_equal,
    "<": less,
    "<=": less_or_equal,
    "CONTAINS": contains,
    "HAS": has,
    "IN": in_array,
    "NOT IN": not_in_array,
}


class ValueSet:
    """An array literal prepared for O(1) typed membership tests (``x IN ['a', 'b', 1]``)."""

    __slots__ = ("_booleans", "_numbers", "_strings")

    def __init__(self, items: Iterable[Any]) -> None:
        items = tuple(items)
        self._strings = frozenset(item for item in items if scalar_kind(item) == STRING)
        self._numbers = frozenset(item for item in items if scalar_kind(item) == NUMBER)
        self._booleans = frozenset(item for item in items if scalar_kind(item) == BOOLEAN)

    def __contains__(self, value: Any) -> bool:
        kind = scalar_kind(value)
        if kind == STRING:
            return value in self._strings
        if kind == NUMBER:
            return value in self._numbers
        if kind == BOOLEAN:
            return value in self._booleans
        return False
