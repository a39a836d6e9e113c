"""Example-based tests of the TaskRouter expression language (atende.routing.expression)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from atende.routing.expression import (
    ExpressionError,
    compile_expression,
    compile_order_by,
)


def matches(text: str, attributes: dict[str, Any] | None = None, **scopes: Any) -> bool:
    return compile_expression(text).matches(attributes or {}, scopes or None)


def error_for(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    return caught.value


# -- TaskRouter documentation examples ---------------------------------------------------

DOC_TASK = {"string_const": "foo", "object": {"array": ["a", "b", "c"], "attr": "bar"}}


@pytest.mark.parametrize(
    "text",
    [
        "string_const == 'foo'",
        'object.array HAS "b"',
        "object.array[2] == 'c'",
        "object.attr == 'bar'",
        "object.missing == null",
    ],
)
def test_documented_key_resolution(text: str) -> None:
    assert matches(text, DOC_TASK)


def test_documented_target_workers_example() -> None:
    expression = compile_expression("(skills HAS 'support') AND (languages HAS 'english')")
    assert expression.matches({"skills": ["sales", "support"], "languages": ["english"]})
    assert not expression.matches({"skills": ["sales"], "languages": ["english"]})
    assert not expression.matches({"skills": ["support"]})


def test_documented_filter_with_precedence_example() -> None:
    text = '(language == "en" OR language == "fr") AND skill_rating >= 5.1'
    assert matches(text, {"language": "fr", "skill_rating": 5.1})
    assert matches(text, {"language": "en", "skill_rating": 9})
    assert not matches(text, {"language": "es", "skill_rating": 9})
    assert not matches(text, {"language": "en", "skill_rating": 5})


# -- literals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'gold'", "gold"),
        ('"gold"', "gold"),
        ("''", ""),
        ("'it\\'s'", "it's"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("'back\\\\slash'", "back\\slash"),
        ("'tab\\tnew\\nline'", "tab\tnew\nline"),
        ("'\\u00e9t\\u00E9'", "été"),
        ("'\\ud83d\\ude00'", "😀"),
        ("'a\\/b'", "a/b"),
        ('"single \' inside"', "single ' inside"),
        ("'olá 😀'", "olá 😀"),
        ("42", 42),
        ("-7", -7),
        ("3.25", 3.25),
        ("-0.5", -0.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        ("true", True),
        ("FALSE", False),
        ("True", True),
    ],
)
def test_literal_values(literal: str, value: Any) -> None:
    assert matches(f"x == {literal}", {"x": value})


def test_integer_and_float_literals_are_the_same_number() -> None:
    assert matches("x == 1.0", {"x": 1})
    assert matches("x == 1", {"x": 1.0})
    assert matches("1 == 1.00")


# -- comparison operators ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "attributes", "expected"),
    [
        ("level == 3", {"level": 3}, True),
        ("level = 3", {"level": 3}, True),
        ("level == 3", {"level": 4}, False),
        ("level != 3", {"level": 4}, True),
        ("level != 3", {"level": 3}, False),
        ("level > 3", {"level": 4}, True),
        ("level > 3", {"level": 3}, False),
        ("level >= 3", {"level": 3}, True),
        ("level >= 3", {"level": 2.9}, False),
        ("level < 3", {"level": 2}, True),
        ("level < 3", {"level": 3}, False),
        ("level <= 3", {"level": 3}, True),
        ("level <= 3", {"level": 3.5}, False),
        ("name > 'bob'", {"name": "carol"}, True),
        ("name < 'bob'", {"name": "alice"}, True),
        ("name <= 'bob'", {"name": "bob"}, True),
        ("vip == true", {"vip": True}, True),
        ("vip == false", {"vip": True}, False),
        ("vip != false", {"vip": True}, True),
    ],
)
def test_scalar_operators(text: str, attributes: dict[str, Any], expected: bool) -> None:
    assert matches(text, attributes) is expected


@pytest.mark.parametrize(
    ("text", "attributes", "expected"),
    [
        ("subject CONTAINS 'refund'", {"subject": "about my refund please"}, True),
        ("subject CONTAINS 'refund'", {"subject": "about my Refund"}, False),
        ("subject CONTAINS ''", {"subject": "anything"}, True),
        ("subject CONTAINS 'x'", {"subject": ["x"]}, False),
        ("subject CONTAINS 1", {"subject": "1"}, False),
        ("'full text here' CONTAINS word", {"word": "text"}, True),
    ],
)
def test_contains_is_substring_of_strings(
    text: str, attributes: dict[str, Any], expected: bool
) -> None:
    assert matches(text, attributes) is expected


@pytest.mark.parametrize(
    ("text", "attributes", "expected"),
    [
        ("skills HAS 'billing'", {"skills": ["sales", "billing"]}, True),
        ("skills HAS 'billing'", {"skills": ["sales"]}, False),
        ("skills HAS 'billing'", {"skills": "billing"}, False),
        ("skills HAS 'billing'", {}, False),
        ("levels HAS 2", {"levels": [1, 2.0]}, True),
        ("levels HAS 1", {"levels": [True]}, False),
        ("flags HAS true", {"flags": [1]}, False),
        ("flags HAS true", {"flags": [False, True]}, True),
        ("skills HAS wanted", {"skills": ["a", "b"], "wanted": "b"}, True),
        ("['a', 'b'] HAS letter", {"letter": "a"}, True),
    ],
)
def test_has_checks_array_membership(text: str, attributes: dict[str, Any], expected: bool) -> None:
    assert matches(text, attributes) is expected


@pytest.mark.parametrize(
    ("text", "attributes", "expected"),
    [
        ("language IN ['en', 'es']", {"language": "es"}, True),
        ("language IN ['en', 'es']", {"language": "pt"}, False),
        ('language IN ["en", "es"]', {"language": "en"}, True),
        ("level IN [1, 2, 3]", {"level": 2}, True),
        ("level IN [1, 2, 3]", {"level": True}, False),
        ("level IN ['1']", {"level": 1}, False),
        ("level IN []", {"level": 1}, False),
        ("language IN languages", {"language": "en", "languages": ["fr", "en"]}, True),
        ("language IN languages", {"language": "en", "languages": "en"}, False),
        ("'en' IN languages", {"languages": ["en"]}, True),
        ("language NOT IN ['en', 'es']", {"language": "pt"}, True),
        ("language NOT IN ['en', 'es']", {"language": "en"}, False),
        ("language not in languages", {"language": "de", "languages": ["en"]}, True),
        ("language NOT IN ['en']", {}, False),
        ("language NOT IN 'en'", {"language": "pt"}, False),
        ("'pt' NOT IN languages", {"languages": ["en"]}, True),
        ("tags IN ['a']", {"tags": ["a"]}, False),
    ],
)
def test_in_and_not_in(text: str, attributes: dict[str, Any], expected: bool) -> None:
    assert matches(text, attributes) is expected


def test_either_side_may_be_a_key_or_a_literal() -> None:
    assert matches("3 < level", {"level": 4})
    assert not matches("3 > level", {"level": 4})
    assert matches("'gold' == tier", {"tier": "gold"})
    assert matches("a == b", {"a": "x", "b": "x"})
    assert matches("a < b", {"a": 1, "b": 2})
    assert not matches("a != b", {"a": 1, "b": 1})


# -- logical operators -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a == 1 AND b == 2", True),
        ("a == 1 AND b == 3", False),
        ("a == 1 && b == 2", True),
        ("a == 0 OR b == 2", True),
        ("a == 0 || b == 0", False),
        ("a == 1 and b == 2 or c == 0", True),
        ("a == 0 Or b == 2", True),
    ],
)
def test_logical_operators(text: str, expected: bool) -> None:
    assert matches(text, {"a": 1, "b": 2, "c": 3}) is expected


def test_and_binds_tighter_than_or() -> None:
    attributes = {"a": 1, "b": 2, "c": 3}
    # Read as: a == 1 OR (b == 0 AND c == 0)
    assert matches("a == 1 OR b == 0 AND c == 0", attributes)
    # Read as: (b == 0 AND c == 0) OR a == 1
    assert matches("b == 0 AND c == 0 OR a == 1", attributes)
    assert not matches("(a == 1 OR b == 0) AND c == 0", attributes)


def test_nested_parentheses() -> None:
    attributes = {"a": 1, "b": 2, "c": 3}
    assert matches("((a == 1) AND ((b == 2) OR (c == 0)))", attributes)
    assert not matches("((a == 0) OR ((b == 2) AND (c == 0)))", attributes)


def test_longer_and_or_chains() -> None:
    attributes = {"a": 1, "b": 2, "c": 3, "d": 4}
    assert matches("a == 1 AND b == 2 AND c == 3 AND d == 4", attributes)
    assert not matches("a == 1 AND b == 2 AND c == 3 AND d == 0", attributes)
    assert matches("a == 0 OR b == 0 OR c == 0 OR d == 4", attributes)
    assert not matches("a == 0 OR b == 0 OR c == 0 OR d == 0", attributes)


# -- keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("languages[0] == 'en'", True),
        ("languages[1] == 'pt'", True),
        ("languages[2] == null", True),
        ("customer.address.city == 'Recife'", True),
        ("customer.phones[1].type == 'mobile'", True),
        ("customer.phones[1].number == null", True),
        ("matrix[1][0] == 3", True),
        ("customer.name.first == null", True),
        ("languages.first == null", True),
        ("customer[0] == null", True),
        ("nothing.at.all == null", True),
        ("customer.address.city == 'Olinda'", False),
    ],
)
def test_nested_and_indexed_keys(text: str, expected: bool) -> None:
    attributes = {
        "languages": ["en", "pt"],
        "customer": {
            "name": "Ana",
            "address": {"city": "Recife"},
            "phones": [{"type": "home"}, {"type": "mobile"}],
        },
        "matrix": [[1, 2], [3, 4]],
    }
    assert matches(text, attributes) is expected


def test_keys_with_keyword_like_segments_and_unicode() -> None:
    assert matches("task.in == 1 AND worker.and == 2", {"task": {"in": 1}, "worker": {"and": 2}})
    assert matches("região == 'nordeste'", {"região": "nordeste"})
    assert matches("WAxx123 >= 1", {"WAxx123": 2})


def test_scopes_resolve_prefixed_keys() -> None:
    task = {"language": "en", "priority": 5}
    worker = {"languages": ["en", "es"], "level": 3}
    text = "task.language IN worker.languages AND worker.level >= 3 AND task.priority > 1"
    assert matches(text, task=task, worker=worker)
    assert not matches(text, task={"language": "de", "priority": 5}, worker=worker)


def test_scope_wins_over_an_attribute_of_the_same_name() -> None:
    assert matches("task.x == 1", {"task": {"x": 2}}, task={"x": 1})


def test_unscoped_keys_use_attributes_even_when_scopes_are_given() -> None:
    assert matches("skills HAS 'voice'", {"skills": ["voice"]}, task={"skills": []})
    assert matches("task.x == 2", {"task": {"x": 2}}, worker={"x": 1})


def test_skip_if_counts_from_workers_scope() -> None:
    skip_if = compile_expression("workers.available == 0")
    assert skip_if.matches({}, {"workers": {"available": 0, "unavailable": 4}})
    assert not skip_if.matches({}, {"workers": {"available": 2}})


# -- types, nulls and missing keys -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "attributes"),
    [
        ("level > 'a'", {"level": 3}),
        ("level < 'a'", {"level": 3}),
        ("name > 1", {"name": "bob"}),
        ("level == '3'", {"level": 3}),
        ("level != '3'", {"level": 3}),
        ("vip == 1", {"vip": True}),
        ("count == true", {"count": 1}),
        ("vip > false", {"vip": True}),
        ("skills == 'a'", {"skills": ["a"]}),
        ("skills != 'b'", {"skills": ["a"]}),
        ("skills > 1", {"skills": [2]}),
        ("profile == 'x'", {"profile": {"a": 1}}),
        ("a == b", {"a": [1], "b": [1]}),
        ("a == b", {"a": {"k": 1}, "b": {"k": 1}}),
        ("skills == ['a']", {"skills": ["a"]}),
        ("['a'] == ['a']", {}),
        ("skills HAS ['a']", {"skills": ["a"]}),
    ],
)
def test_mismatched_types_and_non_scalars_never_match(
    text: str, attributes: dict[str, Any]
) -> None:
    assert matches(text, attributes) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("missing == null", True),
        ("missing != null", False),
        ("present == null", False),
        ("present != null", True),
        ("null == missing", True),
        ("explicit_null == null", True),
        ("skills != null", True),
        ("missing == 'x'", False),
        ("missing != 'x'", False),
        ("missing > 1", False),
        ("missing <= 1", False),
        ("missing CONTAINS 'x'", False),
        ("missing HAS 'x'", False),
        ("missing IN ['x']", False),
        ("missing NOT IN ['x']", False),
        ("missing == other_missing", False),
        ("missing != other_missing", False),
        ("present > null", False),
        ("null == null", True),
        ("null != null", False),
        ("'x' != null", True),
        ("'x' == null", False),
        ("NULL == missing", True),
    ],
)
def test_null_semantics(text: str, expected: bool) -> None:
    attributes = {"present": "x", "explicit_null": None, "skills": ["a"]}
    assert matches(text, attributes) is expected


# -- wildcards and constant folding ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["1==1", "1 == 1", "(1=1)", "'a' == 'a'", "true == true", "1==1 OR x == 2", "2 > 1"],
)
def test_wildcards(text: str) -> None:
    expression = compile_expression(text)
    assert expression.is_wildcard
    assert expression.matches({})
    assert expression.matches({"x": 5})


@pytest.mark.parametrize("text", ["1==2", "x == 1", "1==1 AND x == 1", "x == x", "x == null"])
def test_not_wildcards(text: str) -> None:
    assert not compile_expression(text).is_wildcard


def test_constant_false_expression_matches_nothing() -> None:
    expression = compile_expression("1 == 2 AND x == 1")
    assert not expression.is_wildcard
    assert not expression.matches({"x": 1})


def test_compilation_is_memoised() -> None:
    assert compile_expression("memo == 1") is compile_expression("memo == 1")
    assert compile_expression("memo == 1").source == "memo == 1"


def test_matching_does_not_modify_attributes() -> None:
    attributes = {"skills": ["a"], "nested": {"x": [1]}}
    compile_expression("skills HAS 'a' AND nested.x[0] == 1").matches(attributes)
    assert attributes == {"skills": ["a"], "nested": {"x": [1]}}


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "empty expression"),
        ("   ", 0, "empty expression"),
        ("worker.x == ", 12, "expected a value after '=='"),
        ("a == 1 AND", 10, "expected a condition after 'AND'"),
        ("a == 1 OR OR b == 2", 10, "expected a condition after 'OR', found 'OR'"),
        ("== 1", 0, "missing value before '=='"),
        ("a == 1 AND == 2", 11, "missing value before '=='"),
        ("a", 1, "expected a comparison operator after 'a'"),
        ("a == 'unterminated", 5, "unterminated string"),
        ('a == "x\\', 7, "unterminated string"),
        ("(a == 1", 7, "expected ')' to close '(' at position 0"),
        ("((a == 1) AND b == 2", 20, "expected ')' to close '(' at position 0"),
        ("a == 1)", 6, "unexpected ')' without a matching '('"),
        ("()", 1, "expected a condition after '(', found ')'"),
        ("a <> 1", 2, "unknown operator '<>'"),
        ("a === 1", 2, "unknown operator '==='"),
        ("a ! 1", 2, "unknown operator '!'"),
        ("a LIKE 'x'", 2, "unknown operator 'LIKE'"),
        ("a == 1 b == 2", 7, "expected AND, OR or end of expression, found 'b'"),
        ("a == b == c", 7, "comparisons cannot be chained"),
        ("NOT a == 1", 0, "NOT is only supported as part of NOT IN"),
        ("a NOT HAS 'x'", 2, "NOT is only supported as part of NOT IN"),
        ("a.", 2, "expected a key name after '.'"),
        ("a..b == 1", 2, "expected a key name after '.'"),
        ("first-name == 'x'", 5, "hyphens are not supported"),
        ("a == 'x\\q'", 7, "invalid escape sequence '\\q'"),
        ("a == '\\u12'", 6, "invalid unicode escape"),
        ("a IN [1,", 8, "expected ']' to close '[' at position 5"),
        ("a IN [b]", 6, "array items must be strings, numbers, booleans or null, found 'b'"),
        ("a IN [1 2]", 8, "expected ',' or ']' in array starting at position 5, found '2'"),
        ("a IN [[1]]", 6, "array items must be strings, numbers, booleans or null"),
        ("1abc == 2", 0, "invalid number '1abc'"),
        ("a == 1.2.3", 5, "invalid number '1.2.3'"),
        ("a == 1 ; b", 7, "unexpected character ';'"),
        ("a == 1 AND (b == 2", 18, "expected ')' to close '(' at position 11"),
        ("a == 1 & b == 2", 7, "unknown operator '&'"),
    ],
)
def test_error_positions_and_reasons(text: str, position: int, reason: str) -> None:
    error = error_for(text)
    assert error.position == position
    assert reason in error.reason
    assert error.expression == text


def test_error_message_format() -> None:
    error = error_for("worker.x == ")
    assert str(error) == "Invalid expression at position 12: expected a value after '=='"
    assert isinstance(error, ValueError)


def test_error_survives_pickling() -> None:
    error = error_for("a ==")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.position, copy.expression) == (error.reason, 4, "a ==")
    assert str(copy) == str(error)


def test_deep_nesting_is_an_expression_error_not_a_crash() -> None:
    text = "(" * 5000 + "a == 1" + ")" * 5000
    assert "nested deeper" in error_for(text).reason


def test_moderate_nesting_is_accepted() -> None:
    text = "(" * 50 + "a == 1" + ")" * 50
    assert matches(text, {"a": 1})


def test_huge_integer_literal_is_an_expression_error() -> None:
    assert "too long" in error_for("a == " + "9" * 5000).reason


def test_long_flat_chains_compile_and_evaluate() -> None:
    text = " OR ".join(f"a == {n}" for n in range(2000))
    assert matches(text, {"a": 1999})
    assert not matches(text, {"a": 2000})


# -- order_by ----------------------------------------------------------------------------

WORKERS = [
    {"name": "ana", "english_level": 7, "age": 30},
    {"name": "bia", "english_level": 9, "age": 41},
    {"name": "caio", "age": 25},
    {"name": "davi", "english_level": 9, "age": 22},
    {"name": "eva", "english_level": "fluent", "age": 35},
]


def ordered(order_by: str, workers: list[dict[str, Any]] | None = None) -> list[str]:
    key = compile_order_by(order_by).sort_key
    return [worker["name"] for worker in sorted(workers or WORKERS, key=key)]


def test_order_by_descending_then_ascending() -> None:
    # Numbers sort before strings; workers missing the value come last.
    assert ordered("worker.english_level DESC, worker.age ASC") == [
        "davi",
        "bia",
        "ana",
        "eva",
        "caio",
    ]


def test_order_by_ascending_puts_missing_last() -> None:
    assert ordered("worker.english_level ASC, worker.age DESC") == [
        "ana",
        "bia",
        "davi",
        "eva",
        "caio",
    ]


def test_order_by_defaults_to_ascending_and_accepts_any_case() -> None:
    assert ordered("worker.age") == ["davi", "caio", "ana", "eva", "bia"]
    assert ordered("worker.age desc") == ["bia", "eva", "ana", "caio", "davi"]


def test_order_by_without_worker_prefix_and_nested_keys() -> None:
    workers = [
        {"name": "x", "stats": {"handled": [3, 10]}},
        {"name": "y", "stats": {"handled": [5, 2]}},
        {"name": "z", "stats": {}},
    ]
    assert ordered("stats.handled[0] DESC", workers) == ["y", "x", "z"]
    assert ordered("worker.stats.handled[1]", workers) == ["y", "x", "z"]


def test_order_by_strings_descending() -> None:
    workers = [{"name": "b"}, {"name": "c"}, {"name": "a"}, {"nick": "zz"}]
    key = compile_order_by("worker.name DESC").sort_key
    assert [w.get("name") for w in sorted(workers, key=key)] == ["c", "b", "a", None]


def test_order_by_booleans_descending_puts_true_first() -> None:
    workers: list[dict[str, Any]] = [
        {"name": "f", "vip": False},
        {"name": "t", "vip": True},
        {"name": "n"},
    ]
    assert ordered("worker.vip DESC", workers) == ["t", "f", "n"]


def test_order_by_is_memoised_and_keeps_source() -> None:
    order_by = compile_order_by("worker.age DESC")
    assert order_by is compile_order_by("worker.age DESC")
    assert order_by.source == "worker.age DESC"


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "empty order_by"),
        ("worker.age UP", 11, "expected ASC or DESC after 'worker.age', found 'UP'"),
        ("worker.age DESC,", 16, "expected a key after ','"),
        ("worker.age DESC worker.name", 16, "expected ',' or end of order_by, found 'worker.name'"),
        ("'age' DESC", 0, "expected a key, found ''age''"),
        ("worker.age DESC, , worker.x", 17, "expected a key after ',', found ','"),
    ],
)
def test_order_by_errors(text: str, position: int, reason: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_order_by(text)
    assert caught.value.position == position
    assert reason in caught.value.reason
