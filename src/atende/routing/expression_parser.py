"""Recursive-descent parser from tokens to a small, immutable syntax tree.

Grammar (AND binds tighter than OR, as in TaskRouter and SQL)::

    expression  := conjunction (OR conjunction)*
    conjunction := primary (AND primary)*
    primary     := "(" expression ")" | comparison
    comparison  := operand operator operand
    operand     := literal | key | "[" [literal ("," literal)*] "]"
    operator    := == | = | != | > | >= | < | <= | CONTAINS | HAS | IN | NOT IN
    order_by    := key [ASC | DESC] ("," key [ASC | DESC])*

TaskRouter has no stand-alone NOT and no bare boolean operands, so neither is accepted here;
an expression that works in Atende also works on Twilio.
"""

from __future__ import annotations

from dataclasses import dataclass

from atende.routing.expression_errors import ExpressionError
from atende.routing.expression_lexer import PathSegment, Token, TokenKind, tokenize

Scalar = str | int | float | bool | None

_NOT_ONLY_WITH_IN = "NOT is only supported as part of NOT IN"

MAX_NESTING = 100
"""Deeper parentheses are rejected instead of exhausting the interpreter's recursion limit."""


@dataclass(frozen=True, slots=True)
class Literal:
    value: Scalar


@dataclass(frozen=True, slots=True)
class ArrayLiteral:
    items: tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class Key:
    head: str  # the first segment, which may name a scope ("task", "worker")
    rest: tuple[PathSegment, ...]
    text: str


def _key(token: Token) -> Key:
    return Key(token.value[0], token.value[1:], token.text)


Operand = Literal | ArrayLiteral | Key


@dataclass(frozen=True, slots=True)
class Comparison:
    left: Operand
    operator: str
    right: Operand


@dataclass(frozen=True, slots=True)
class Conjunction:
    terms: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Disjunction:
    terms: tuple[Node, ...]


Node = Comparison | Conjunction | Disjunction


@dataclass(frozen=True, slots=True)
class OrderTerm:
    key: Key
    descending: bool


def parse_expression(text: str) -> Node:
    parser = _Parser(text)
    if parser.peek.kind is TokenKind.END:
        raise ExpressionError("empty expression", 0, text)
    node = parser.disjunction(depth=0)
    parser.expect_end()
    return node


def parse_order_by(text: str) -> tuple[OrderTerm, ...]:
    parser = _Parser(text)
    if parser.peek.kind is TokenKind.END:
        raise ExpressionError("empty order_by", 0, text)
    terms = [parser.order_term()]
    while parser.peek.kind is TokenKind.COMMA:
        parser.advance()
        terms.append(parser.order_term())
    if parser.peek.kind is not TokenKind.END:
        token = parser.peek
        raise ExpressionError(
            f"expected ',' or end of order_by, found {_describe(token)}", token.position, text
        )
    return tuple(terms)


def _describe(token: Token) -> str:
    if token.kind is TokenKind.END:
        return "end of expression"
    return f"'{token.text}'"


def _found(token: Token) -> str:
    """A ", found 'x'" suffix; at the end of the text the position already says it all."""
    return "" if token.kind is TokenKind.END else f", found '{token.text}'"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.index]

    @property
    def previous(self) -> Token:
        return self.tokens[self.index - 1]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not TokenKind.END:
            self.index += 1
        return token

    def fail(self, reason: str, token: Token) -> ExpressionError:
        return ExpressionError(reason, token.position, self.text)

    def expect_end(self) -> None:
        token = self.peek
        if token.kind is TokenKind.END:
            return
        if token.kind is TokenKind.RPAREN:
            raise self.fail("unexpected ')' without a matching '('", token)
        if token.kind in (TokenKind.OPERATOR, TokenKind.NOT):
            raise self.fail(
                f"unexpected {_describe(token)}: comparisons cannot be chained, join them with "
                "AND or OR",
                token,
            )
        raise self.fail(f"expected AND, OR or end of expression, found {_describe(token)}", token)

    # -- boolean structure -------------------------------------------------------------

    def disjunction(self, depth: int) -> Node:
        terms = [self.conjunction(depth)]
        while self.peek.kind is TokenKind.OR:
            self.advance()
            terms.append(self.conjunction(depth))
        return terms[0] if len(terms) == 1 else Disjunction(tuple(terms))

    def conjunction(self, depth: int) -> Node:
        terms = [self.primary(depth)]
        while self.peek.kind is TokenKind.AND:
            self.advance()
            terms.append(self.primary(depth))
        return terms[0] if len(terms) == 1 else Conjunction(tuple(terms))

    def primary(self, depth: int) -> Node:
        token = self.peek
        if token.kind is TokenKind.LPAREN:
            if depth >= MAX_NESTING:
                raise self.fail(f"parentheses nested deeper than {MAX_NESTING} levels", token)
            self.advance()
            self._require_condition_start()
            node = self.disjunction(depth + 1)
            if self.peek.kind is not TokenKind.RPAREN:
                raise self.fail(
                    f"expected ')' to close '(' at position {token.position}{_found(self.peek)}",
                    self.peek,
                )
            self.advance()
            return node
        self._require_condition_start()
        return self.comparison()

    def _require_condition_start(self) -> None:
        """Explain a missing condition in terms of what came before it."""
        token = self.peek
        if token.kind in (TokenKind.LITERAL, TokenKind.KEY, TokenKind.LBRACKET, TokenKind.LPAREN):
            return
        if token.kind is TokenKind.NOT:
            raise self.fail(_NOT_ONLY_WITH_IN, token)
        if token.kind is TokenKind.OPERATOR:
            raise self.fail(f"missing value before '{token.text}'", token)
        if self.index == 0:
            raise self.fail(f"expected a condition, found {_describe(token)}", token)
        raise self.fail(f"expected a condition after '{self.previous.text}'{_found(token)}", token)

    # -- comparisons -------------------------------------------------------------------

    def comparison(self) -> Comparison:
        left = self.operand()
        operator = self.operator(after=self.previous)
        right = self.operand()
        return Comparison(left, operator, right)

    def operator(self, after: Token) -> str:
        token = self.peek
        if token.kind is TokenKind.OPERATOR:
            self.advance()
            return str(token.value)
        if token.kind is TokenKind.NOT:
            self.advance()
            if self.peek.kind is TokenKind.OPERATOR and self.peek.value == "IN":
                self.advance()
                return "NOT IN"
            raise self.fail(_NOT_ONLY_WITH_IN, token)
        if token.kind is TokenKind.KEY and len(token.value) == 1:
            raise self.fail(f"unknown operator '{token.text}'", token)
        raise self.fail(
            f"expected a comparison operator after '{after.text}'{_found(token)}", token
        )

    def operand(self) -> Operand:
        token = self.peek
        if token.kind is TokenKind.LITERAL:
            self.advance()
            return Literal(token.value)
        if token.kind is TokenKind.KEY:
            self.advance()
            return _key(token)
        if token.kind is TokenKind.LBRACKET:
            return self.array_literal()
        if self.index > 0 and self.previous.kind in (TokenKind.OPERATOR, TokenKind.NOT):
            raise self.fail(f"expected a value after '{self.previous.text}'{_found(token)}", token)
        raise self.fail(f"expected a value, found {_describe(token)}", token)

    def array_literal(self) -> ArrayLiteral:
        opening = self.advance()
        items: list[Scalar] = []
        if self.peek.kind is TokenKind.RBRACKET:
            self.advance()
            return ArrayLiteral(())
        while True:
            token = self.peek
            if token.kind is not TokenKind.LITERAL:
                if token.kind is TokenKind.END:
                    raise self.fail(
                        f"expected ']' to close '[' at position {opening.position}", token
                    )
                raise self.fail(
                    "array items must be strings, numbers, booleans or null, "
                    f"found {_describe(token)}",
                    token,
                )
            items.append(self.advance().value)
            separator = self.advance()
            if separator.kind is TokenKind.RBRACKET:
                return ArrayLiteral(tuple(items))
            if separator.kind is not TokenKind.COMMA:
                raise self.fail(
                    f"expected ',' or ']' in array starting at position {opening.position}, "
                    f"found {_describe(separator)}",
                    separator,
                )

    # -- order_by ----------------------------------------------------------------------

    def order_term(self) -> OrderTerm:
        token = self.peek
        if token.kind is not TokenKind.KEY:
            if self.index == 0:
                raise self.fail(f"expected a key, found {_describe(token)}", token)
            raise self.fail(f"expected a key after '{self.previous.text}'{_found(token)}", token)
        self.advance()
        key = _key(token)
        direction = self.peek
        if direction.kind is not TokenKind.KEY or len(direction.value) != 1:
            return OrderTerm(key, descending=False)
        spelling = direction.text.upper()
        if spelling not in ("ASC", "DESC"):
            raise self.fail(
                f"expected ASC or DESC after '{token.text}', found '{direction.text}'", direction
            )
        self.advance()
        return OrderTerm(key, descending=spelling == "DESC")
