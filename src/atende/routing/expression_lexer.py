"""Tokenizer for TaskRouter expressions and order_by clauses.

A hand-written scanner rather than one big regular expression, so every failure can name the
exact character and say what was wrong with it (an unterminated string, an unknown escape, an
operator such as ``<>`` that TaskRouter does not have).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from atende.routing.expression_errors import ExpressionError

PathSegment = str | int
"""One step of a key: an object member name or an array index."""


class TokenKind(enum.Enum):
    LITERAL = "literal"  # value: str | int | float | bool | None
    KEY = "key"  # value: tuple[PathSegment, ...]
    OPERATOR = "operator"  # value: canonical operator ("==", "IN", "HAS", ...)
    NOT = "NOT"
    AND = "AND"
    OR = "OR"
    LPAREN = "("
    RPAREN = ")"
    LBRACKET = "["
    RBRACKET = "]"
    COMMA = ","
    END = "end of expression"


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    position: int
    value: Any = None


_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_INDEX = re.compile(r"\[(\d+)\]")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_OPERATOR_RUN = re.compile(r"[=!<>&|]+")
_WHITESPACE = re.compile(r"\s+")

_SYMBOL_OPERATORS: dict[str, tuple[TokenKind, str | None]] = {
    "==": (TokenKind.OPERATOR, "=="),
    "=": (TokenKind.OPERATOR, "=="),
    "!=": (TokenKind.OPERATOR, "!="),
    ">": (TokenKind.OPERATOR, ">"),
    ">=": (TokenKind.OPERATOR, ">="),
    "<": (TokenKind.OPERATOR, "<"),
    "<=": (TokenKind.OPERATOR, "<="),
    "&&": (TokenKind.AND, None),
    "||": (TokenKind.OR, None),
}

# Keywords are case-insensitive, so they are looked up by their upper-cased spelling.
_KEYWORDS: dict[str, tuple[TokenKind, Any]] = {
    "AND": (TokenKind.AND, None),
    "OR": (TokenKind.OR, None),
    "NOT": (TokenKind.NOT, None),
    "IN": (TokenKind.OPERATOR, "IN"),
    "HAS": (TokenKind.OPERATOR, "HAS"),
    "CONTAINS": (TokenKind.OPERATOR, "CONTAINS"),
    "TRUE": (TokenKind.LITERAL, True),
    "FALSE": (TokenKind.LITERAL, False),
    "NULL": (TokenKind.LITERAL, None),
}

_PUNCTUATION = {
    "(": TokenKind.LPAREN,
    ")": TokenKind.RPAREN,
    "[": TokenKind.LBRACKET,
    "]": TokenKind.RBRACKET,
    ",": TokenKind.COMMA,
}

_SIMPLE_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, always ending with an END token."""
    tokens: list[Token] = []
    position = 0
    length = len(text)
    while True:
        blank = _WHITESPACE.match(text, position)
        if blank:
            position = blank.end()
        if position >= length:
            tokens.append(Token(TokenKind.END, "", length))
            return tokens
        token = _scan_token(text, position)
        tokens.append(token)
        position += len(token.text)


def _scan_token(text: str, position: int) -> Token:
    char = text[position]
    if char in "\"'":
        return _scan_string(text, position)
    if char in _PUNCTUATION:
        return Token(_PUNCTUATION[char], char, position)
    number = _NUMBER.match(text, position)
    if number:
        return _number_token(text, number.group(), position)
    if _IDENTIFIER.match(text, position):
        return _scan_word(text, position)
    operator = _OPERATOR_RUN.match(text, position)
    if operator:
        spelling = operator.group()
        if spelling not in _SYMBOL_OPERATORS:
            raise ExpressionError(f"unknown operator '{spelling}'", position, text)
        kind, canonical = _SYMBOL_OPERATORS[spelling]
        return Token(kind, spelling, position, canonical)
    if char == "-":
        raise ExpressionError(
            "unexpected character '-' (hyphens are not supported in keys)", position, text
        )
    raise ExpressionError(f"unexpected character {char!r}", position, text)


def _number_token(text: str, spelling: str, position: int) -> Token:
    end = position + len(spelling)
    if end < len(text) and _continues_word(text[end]):
        while end < len(text) and _continues_word(text[end]):
            end += 1
        raise ExpressionError(f"invalid number '{text[position:end]}'", position, text)
    is_float = any(mark in spelling for mark in ".eE")
    try:
        value: int | float = float(spelling) if is_float else int(spelling)
    except ValueError:  # only an absurdly long integer can fail here
        raise ExpressionError("number is too long", position, text) from None
    return Token(TokenKind.LITERAL, spelling, position, value)


def _continues_word(char: str) -> bool:
    return char.isalnum() or char in "._"


def _scan_word(text: str, position: int) -> Token:
    """A keyword, a literal word (true/false/null) or a dotted/indexed key."""
    path: list[PathSegment] = []
    cursor = position
    while True:
        name = _IDENTIFIER.match(text, cursor)
        if name is None:
            raise ExpressionError("expected a key name after '.'", cursor, text)
        path.append(name.group())
        cursor = name.end()
        while index := _INDEX.match(text, cursor):
            path.append(int(index.group(1)))
            cursor = index.end()
        if not text.startswith(".", cursor):
            break
        cursor += 1
    spelling = text[position:cursor]
    if len(path) == 1 and spelling.isascii():
        keyword = _KEYWORDS.get(spelling.upper())
        if keyword is not None:
            return Token(keyword[0], spelling, position, keyword[1])
    return Token(TokenKind.KEY, spelling, position, tuple(path))


def _scan_string(text: str, position: int) -> Token:
    quote = text[position]
    pieces: list[str] = []
    cursor = position + 1
    length = len(text)
    while cursor < length:
        char = text[cursor]
        if char == quote:
            value = _join_surrogates("".join(pieces))
            return Token(TokenKind.LITERAL, text[position : cursor + 1], position, value)
        if char != "\\":
            pieces.append(char)
            cursor += 1
            continue
        escaped, cursor = _scan_escape(text, cursor)
        pieces.append(escaped)
    raise ExpressionError("unterminated string", position, text)


def _scan_escape(text: str, backslash: int) -> tuple[str, int]:
    """Decode the escape sequence at ``backslash``; return it and the index after it."""
    code = text[backslash + 1 : backslash + 2]
    if code in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[code], backslash + 2
    if code == "u":
        digits = text[backslash + 2 : backslash + 6]
        if len(digits) == 4 and all(d in "0123456789abcdefABCDEF" for d in digits):
            return chr(int(digits, 16)), backslash + 6
        raise ExpressionError(
            "invalid unicode escape (expected \\u and four hex digits)", backslash, text
        )
    if code == "":
        raise ExpressionError("unterminated string", backslash, text)
    raise ExpressionError(f"invalid escape sequence '\\{code}'", backslash, text)


def _join_surrogates(value: str) -> str:
    """Turn JSON-style surrogate pairs (\\ud83d\\ude00) into the character they encode."""
    if not any("\ud800" <= char <= "\udfff" for char in value):
        return value
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
