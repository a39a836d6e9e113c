"""Turns a parsed expression into a tree of Python closures.

The routing engine evaluates target expressions for every (task, worker) pair it considers,
so all decisions that do not depend on the attributes are taken here, once: constant
comparisons are folded (which is also how ``1==1`` is recognised as a wildcard), key paths are
split into scope name and remainder, array literals become hashed sets, and the common
``key OP literal`` shapes get closures that skip the generic type dispatch.

A predicate takes ``(attributes, scopes)``. A key whose first segment names a scope (``task``,
``worker``, ``workers``) is looked up in that scope; any other key in ``attributes``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from atende.routing.expression_lexer import PathSegment
from atende.routing.expression_parser import (
    ArrayLiteral,
    Comparison,
    Conjunction,
    Key,
    Literal,
    Node,
    Operand,
)
from atende.routing.expression_semantics import (
    BOOLEAN,
    NUMBER,
    OPERATORS,
    STRING,
    ValueSet,
    is_array,
    is_member,
    scalar_kind,
)

_ARRAY_TYPES = (list, tuple)

Scopes = Mapping[str, Mapping[str, Any]]
Predicate = Callable[[Mapping[str, Any], Scopes], bool]
Getter = Callable[[Mapping[str, Any], Scopes], Any]
ValueTest = Callable[[Any], bool]

# Swapping operands turns "literal OP key" into the "key OP literal" shapes that are specialised.
_MIRRORED = {
    "==": "==",
    "!=": "!=",
    ">": "<",
    ">=": "<=",
    "<": ">",
    "<=": ">=",
    "IN": "HAS",
    "HAS": "IN",
}


def compile_node(node: Node) -> Predicate | bool:
    """A predicate, or a plain bool when the outcome does not depend on any attribute."""
    if isinstance(node, Comparison):
        return _compile_comparison(node)
    if isinstance(node, Conjunction):
        return _combine([compile_node(term) for term in node.terms], absorbing=False)
    return _combine([compile_node(term) for term in node.terms], absorbing=True)


def constant_predicate(value: bool) -> Predicate:
    return lambda attributes, scopes: value


# -- AND / OR ----------------------------------------------------------------------------


def _combine(parts: list[Predicate | bool], absorbing: bool) -> Predicate | bool:
    """AND (absorbing=False) or OR (absorbing=True) with constant terms folded away."""
    if any(part is absorbing for part in parts):
        return absorbing
    predicates = [part for part in parts if not isinstance(part, bool)]
    if not predicates:
        return not absorbing
    if len(predicates) == 1:
        return predicates[0]
    return _any_of(predicates) if absorbing else _all_of(predicates)


def _all_of(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda attributes, scopes: first(attributes, scopes) and second(attributes, scopes)
    terms = tuple(predicates)

    def all_of(attributes: Mapping[str, Any], scopes: Scopes) -> bool:
        return all(term(attributes, scopes) for term in terms)

    return all_of


def _any_of(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda attributes, scopes: first(attributes, scopes) or second(attributes, scopes)
    terms = tuple(predicates)

    def any_of(attributes: Mapping[str, Any], scopes: Scopes) -> bool:
        return any(term(attributes, scopes) for term in terms)

    return any_of


# -- comparisons -------------------------------------------------------------------------


def _compile_comparison(node: Comparison) -> Predicate | bool:
    left, operator, right = node.left, node.operator, node.right
    if _is_null(left) or _is_null(right):
        return _compile_null_check(left, operator, right)
    if not isinstance(left, Key) and isinstance(right, Key) and operator in _MIRRORED:
        left, operator, right = right, _MIRRORED[operator], left
    if isinstance(left, Key):
        get = key_getter(left)
        if isinstance(right, Key):
            return _key_versus_key(get, OPERATORS[operator], key_getter(right))
        test = _literal_test(operator, right)
        if isinstance(test, bool):
            return test
        return lambda attributes, scopes: test(get(attributes, scopes))
    if isinstance(right, Key):  # CONTAINS / NOT IN with a literal on the left
        test_right = _right_key_test(operator, _operand_value(left))
        get_right = key_getter(right)
        return lambda attributes, scopes: test_right(get_right(attributes, scopes))
    return OPERATORS[operator](_operand_value(left), _operand_value(right))


def _is_null(operand: Operand) -> bool:
    return isinstance(operand, Literal) and operand.value is None


def _operand_value(operand: Literal | ArrayLiteral) -> Any:
    return operand.items if isinstance(operand, ArrayLiteral) else operand.value


def _compile_null_check(left: Operand, operator: str, right: Operand) -> Predicate | bool:
    """``x == null`` / ``x != null`` test presence; any other operator on null is false."""
    if operator not in ("==", "!="):
        return False
    wants_null = operator == "=="
    other = right if _is_null(left) else left
    if isinstance(other, Key):
        get = key_getter(other)
        if wants_null:
            return lambda attributes, scopes: get(attributes, scopes) is None
        return lambda attributes, scopes: get(attributes, scopes) is not None
    return _is_null(other) == wants_null


def _key_versus_key(
    get_left: Getter, operator: Callable[[Any, Any], bool], get_right: Getter
) -> Predicate:
    def compare(attributes: Mapping[str, Any], scopes: Scopes) -> bool:
        return operator(get_left(attributes, scopes), get_right(attributes, scopes))

    return compare


def _right_key_test(operator: str, constant: Any) -> ValueTest:
    generic = OPERATORS[operator]
    return lambda value: generic(constant, value)


def _literal_test(operator: str, operand: Literal | ArrayLiteral) -> ValueTest | bool:
    """A one-argument test for ``key OP operand``, or a bool when no value can pass."""
    if isinstance(operand, ArrayLiteral):
        return _array_literal_test(operator, operand.items)
    constant = operand.value
    kind = scalar_kind(constant)
    if operator in ("IN", "NOT IN"):
        return False  # the right side is a scalar, not an array
    if operator == "HAS":
        return _has_test(constant, kind)
    if operator == "CONTAINS":
        if not isinstance(constant, str):
            return False
        return lambda value: isinstance(value, str) and constant in value
    if operator == "==":
        return _equals_test(constant, kind)
    if operator == "!=":
        return lambda value: scalar_kind(value) == kind and value != constant
    if kind == BOOLEAN:
        return False  # booleans are not ordered
    return _ordering_test(operator, constant, kind)


def _array_literal_test(operator: str, items: tuple[Any, ...]) -> ValueTest | bool:
    if operator == "IN":
        members = ValueSet(items)
        return members.__contains__
    if operator == "NOT IN":
        members = ValueSet(items)
        return lambda value: scalar_kind(value) is not None and value not in members
    return False  # scalar operators, HAS and CONTAINS never accept an array on the right


def _has_test(constant: Any, kind: int | None) -> ValueTest:
    if kind == STRING:
        return lambda value: isinstance(value, _ARRAY_TYPES) and constant in value
    return lambda value: isinstance(value, _ARRAY_TYPES) and is_member(constant, value)


def _equals_test(constant: Any, kind: int | None) -> ValueTest:
    if kind == STRING:
        # Nothing but a string compares equal to a string, so no kind check is needed.
        return lambda value: value == constant
    if kind == BOOLEAN:
        return lambda value: value is constant
    return lambda value: value == constant and scalar_kind(value) == NUMBER


def _ordering_test(operator: str, constant: Any, kind: int | None) -> ValueTest:
    same_kind = _is_number if kind == NUMBER else _is_string
    if operator == ">":
        return lambda value: same_kind(value) and value > constant
    if operator == ">=":
        return lambda value: same_kind(value) and value >= constant
    if operator == "<":
        return lambda value: same_kind(value) and value < constant
    return lambda value: same_kind(value) and value <= constant


def _is_number(value: Any) -> bool:
    cls = value.__class__
    return cls is int or cls is float or scalar_kind(value) == NUMBER


def _is_string(value: Any) -> bool:
    return value.__class__ is str or isinstance(value, str)


# -- key lookup --------------------------------------------------------------------------


def key_getter(key: Key) -> Getter:
    """A getter resolving ``key`` in its scope (if its head names one) or in the attributes."""
    head, rest = key.head, key.rest
    if not rest:

        def get_name(attributes: Mapping[str, Any], scopes: Scopes) -> Any:
            scope = scopes.get(head) if scopes else None
            return attributes.get(head) if scope is None else scope

        return get_name
    if len(rest) == 1 and isinstance(rest[0], str):
        name = rest[0]

        def get_member(attributes: Mapping[str, Any], scopes: Scopes) -> Any:
            scope = scopes.get(head) if scopes else None
            if scope is not None:
                return scope.get(name)
            parent = attributes.get(head)
            return parent.get(name) if isinstance(parent, Mapping) else None

        return get_member

    def get_path(attributes: Mapping[str, Any], scopes: Scopes) -> Any:
        scope = scopes.get(head) if scopes else None
        if scope is not None:
            return walk(scope, rest)
        return walk(attributes.get(head), rest)

    return get_path


def walk(value: Any, path: tuple[PathSegment, ...]) -> Any:
    """Follow ``path`` into nested objects and arrays; None as soon as a step does not exist."""
    for segment in path:
        if isinstance(segment, int):
            if not is_array(value) or segment >= len(value):
                return None
            value = value[segment]
        elif isinstance(value, Mapping):
            value = value.get(segment)
        else:
            return None
    return value
