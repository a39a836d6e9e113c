"""Property-based tests of the expression language (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from atende.routing.expression import ExpressionError, compile_expression, compile_order_by

SETTINGS = settings(max_examples=200, deadline=None)

KEYS = ("a", "b", "c", "d")
SCALAR_OPERATORS = ("==", "!=", ">", ">=", "<", "<=")
ALL_OPERATORS = (*SCALAR_OPERATORS, "CONTAINS", "HAS", "IN", "NOT IN")

strings = st.text(alphabet="abcxyz' \"\\é😀", max_size=6)
# Small values first, so that equal and adjacent values (and 1 versus true) meet often.
numbers = st.one_of(
    st.integers(min_value=-2, max_value=2),
    st.sampled_from([0.0, 1.0, 1.5]),
    st.integers(min_value=-1000, max_value=1000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, strings)
values = st.one_of(
    scalars, st.lists(scalars, max_size=4), st.dictionaries(strings, scalars, max_size=2)
)
attribute_dicts = st.dictionaries(st.sampled_from(KEYS), values)


def literal(value: Any) -> str:
    """The expression-language spelling of a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(literal(item) for item in value) + "]"


def single_quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def typed_member(value: Any, array: list[Any]) -> bool:
    return kind(value) is not None and any(
        kind(item) == kind(value) and item == value for item in array
    )


def reference(operator: str, left: Any, right: Any) -> bool:
    """An independent model of the documented semantics, for two non-null-literal operands."""
    same_scalar_kind = kind(left) is not None and kind(left) == kind(right)
    if operator == "==":
        return same_scalar_kind and left == right
    if operator == "!=":
        return same_scalar_kind and left != right
    if operator in (">", ">=", "<", "<="):
        if not same_scalar_kind or kind(left) == "boolean":
            return False
        return {
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
        }[operator]
    if operator == "CONTAINS":
        return isinstance(left, str) and isinstance(right, str) and right in left
    if operator == "HAS":
        return isinstance(left, list) and typed_member(right, left)
    if operator == "IN":
        return isinstance(right, list) and typed_member(left, right)
    return kind(left) is not None and isinstance(right, list) and not typed_member(left, right)


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    """A simple ``key OP literal`` comparison."""
    operator = draw(st.sampled_from(ALL_OPERATORS))
    if operator in ("IN", "NOT IN"):
        operand = literal(draw(st.lists(st.one_of(numbers, strings, st.booleans()), max_size=3)))
    else:
        operand = literal(draw(scalars))
    return f"{draw(st.sampled_from(KEYS))} {operator} {operand}"


# -- boolean structure -------------------------------------------------------------------


@SETTINGS
@given(comparisons(), comparisons(), attribute_dicts)
def test_and_is_conjunction(a: str, b: str, attributes: dict[str, Any]) -> None:
    left = compile_expression(a).matches(attributes)
    right = compile_expression(b).matches(attributes)
    assert compile_expression(f"{a} AND {b}").matches(attributes) == (left and right)
    assert compile_expression(f"{a} && {b}").matches(attributes) == (left and right)


@SETTINGS
@given(comparisons(), comparisons(), attribute_dicts)
def test_or_is_disjunction(a: str, b: str, attributes: dict[str, Any]) -> None:
    left = compile_expression(a).matches(attributes)
    right = compile_expression(b).matches(attributes)
    assert compile_expression(f"{a} OR {b}").matches(attributes) == (left or right)
    assert compile_expression(f"{a} || {b}").matches(attributes) == (left or right)


@SETTINGS
@given(comparisons(), comparisons(), comparisons(), attribute_dicts)
def test_and_binds_tighter_than_or(a: str, b: str, c: str, attributes: dict[str, Any]) -> None:
    def ev(text: str) -> bool:
        return compile_expression(text).matches(attributes)

    assert ev(f"{a} OR {b} AND {c}") == (ev(a) or (ev(b) and ev(c)))
    assert ev(f"{a} AND {b} OR {c}") == ((ev(a) and ev(b)) or ev(c))
    assert ev(f"({a} OR {b}) AND {c}") == ((ev(a) or ev(b)) and ev(c))


@SETTINGS
@given(comparisons(), attribute_dicts)
def test_parentheses_and_keyword_case_do_not_change_the_result(
    a: str, attributes: dict[str, Any]
) -> None:
    expected = compile_expression(a).matches(attributes)
    assert compile_expression(f"(({a}))").matches(attributes) == expected
    assert (
        compile_expression(a.replace("IN", "in").replace("HAS", "has")).matches(attributes)
        == expected
    )


# -- operator semantics ------------------------------------------------------------------


@SETTINGS
@given(st.sampled_from(ALL_OPERATORS), values, values)
def test_key_against_key_follows_the_reference_semantics(
    operator: str, left: Any, right: Any
) -> None:
    attributes = {"a": left, "b": right}
    got = compile_expression(f"a {operator} b").matches(attributes)
    if left is None or right is None:
        assert got is False  # null compared with anything (but the null literal) is false
    else:
        assert got is reference(operator, left, right)


@settings(max_examples=600, deadline=None)  # cheap, and the fast paths are where bugs hide
@given(
    st.sampled_from(ALL_OPERATORS),
    values,
    st.one_of(st.booleans(), numbers, strings, st.lists(scalars, max_size=3)),
)
@example("==", True, 1)
@example("!=", 1, True)
@example("HAS", [True], 1)
@example("NOT IN", None, [1])
@example("NOT IN", [1], [2])
@example("<", 0, 1)
def test_specialised_literal_forms_agree_with_key_forms(
    operator: str, value: Any, constant: Any
) -> None:
    """``a OP 'x'``, ``'x' OP b`` and ``'x' OP 'y'`` take different compiled paths."""
    expected = compile_expression(f"a {operator} b").matches({"a": value, "b": constant})
    assert compile_expression(f"a {operator} {literal(constant)}").matches({"a": value}) is expected
    reversed_expected = compile_expression(f"a {operator} b").matches({"a": constant, "b": value})
    reversed_text = f"{literal(constant)} {operator} b"
    assert compile_expression(reversed_text).matches({"b": value}) is reversed_expected
    if value is not None and not isinstance(value, dict):  # a null literal is a null check
        folded = compile_expression(f"{literal(value)} {operator} {literal(constant)}")
        assert folded.is_wildcard is expected
        assert folded.matches({}) is expected


@SETTINGS
@given(
    st.one_of(numbers, strings, st.booleans()), st.lists(st.one_of(numbers, strings), max_size=5)
)
def test_in_agrees_with_typed_membership(value: Any, items: list[Any]) -> None:
    expected = typed_member(value, items)
    assert compile_expression(f"x IN {literal(items)}").matches({"x": value}) is expected
    assert compile_expression(f"x NOT IN {literal(items)}").matches({"x": value}) is not expected
    assert compile_expression("x IN xs").matches({"x": value, "xs": items}) is expected
    assert compile_expression("xs HAS x").matches({"x": value, "xs": items}) is expected


@SETTINGS
@given(st.text(max_size=8), st.text(max_size=8))
def test_contains_agrees_with_substring(haystack: str, needle: str) -> None:
    text = f"s CONTAINS {json.dumps(needle)}"
    assert compile_expression(text).matches({"s": haystack}) is (needle in haystack)


@SETTINGS
@given(values)
def test_null_checks_test_presence(value: Any) -> None:
    assert compile_expression("k == null").matches({"k": value}) is (value is None)
    assert compile_expression("k != null").matches({"k": value}) is (value is not None)
    assert compile_expression("missing == null").matches({"k": value})


# -- literals and keys -------------------------------------------------------------------


@SETTINGS
@given(st.one_of(st.booleans(), numbers, st.text(max_size=20)))
def test_literals_round_trip(value: Any) -> None:
    assert compile_expression(f"k == {literal(value)}").matches({"k": value})
    assert compile_expression(f"{literal(value)} == {literal(value)}").is_wildcard
    if isinstance(value, str):
        assert compile_expression(f"k == {single_quoted(value)}").matches({"k": value})


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_literals_round_trip_exactly(value: float) -> None:
    assert compile_expression(f"k == {value!r}").matches({"k": value})
    assert not compile_expression(f"k != {value!r}").matches({"k": value})
    if value != 0:
        assert compile_expression(f"k < {value!r}").matches({"k": value - abs(value)})


@SETTINGS
@given(
    st.lists(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True), min_size=1, max_size=4),
    scalars.filter(lambda v: v is not None),
)
def test_dotted_keys_reach_nested_values(segments: list[str], value: Any) -> None:
    keywords = {"and", "or", "not", "in", "has", "contains", "true", "false", "null"}
    if len(segments) == 1 and segments[0].lower() in keywords:
        segments = [*segments, "x"]
    document: Any = value
    for segment in reversed(segments):
        document = {segment: document}
    expression = compile_expression(f"{'.'.join(segments)} == {literal(value)}")
    assert expression.matches(document)
    if len(segments) > 1:  # the same document, offered as a scope named after the first segment
        assert expression.matches({}, {segments[0]: document[segments[0]]})


# -- robustness --------------------------------------------------------------------------


def assert_compiles_or_reports(text: str) -> None:
    try:
        compile_expression(text)
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)
        assert error.reason
        assert error.expression == text


@SETTINGS
@given(st.text())
def test_arbitrary_text_only_raises_expression_error(text: str) -> None:
    assert_compiles_or_reports(text)


TOKENS = [
    "a",
    "b.c",
    "d[0]",
    "'x'",
    '"y"',
    "1",
    "-2.5",
    "true",
    "null",
    "==",
    "=",
    "!=",
    "<",
    ">=",
    "AND",
    "OR",
    "&&",
    "||",
    "NOT",
    "IN",
    "HAS",
    "CONTAINS",
    "(",
    ")",
    "[",
    "]",
    ",",
    "'",
    "\\",
    "<>",
    ".",
    "-",
]


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=12), st.sampled_from(["", " "]))
def test_token_soup_only_raises_expression_error(tokens: list[str], separator: str) -> None:
    text = separator.join(tokens)
    assert_compiles_or_reports(text)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=12), attribute_dicts)
def test_compiled_token_soup_never_raises_when_matching(
    tokens: list[str], attributes: dict[str, Any]
) -> None:
    try:
        expression = compile_expression(" ".join(tokens))
    except ExpressionError:
        return
    assert isinstance(expression.matches(attributes), bool)


@SETTINGS
@given(st.text())
def test_arbitrary_order_by_only_raises_expression_error(text: str) -> None:
    try:
        compile_order_by(text)
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)


# -- order_by ----------------------------------------------------------------------------


@SETTINGS
@given(
    st.lists(st.one_of(st.none(), st.integers(-50, 50), st.text(max_size=3)), max_size=12),
    st.booleans(),
)
def test_order_by_sorts_present_values_and_puts_missing_last(
    levels: list[Any], descending: bool
) -> None:
    workers = [{} if level is None else {"level": level} for level in levels]
    order_by = compile_order_by("worker.level DESC" if descending else "worker.level ASC")
    result = [worker.get("level") for worker in sorted(workers, key=order_by.sort_key)]
    present = [level for level in levels if level is not None]
    numbers_first = sorted(
        (level for level in present if isinstance(level, int)), reverse=descending
    ) + sorted((level for level in present if isinstance(level, str)), reverse=descending)
    assert result == numbers_first + [None] * (len(levels) - len(present))
