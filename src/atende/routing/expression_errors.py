"""The single error type of the expression language.

Kept in its own module so the lexer, parser and public API can all raise it without import
cycles. Carrying the position separately from the message lets the HTTP layer point at the
offending character (Twilio answers 400 with a description) and lets tests assert on it.
"""

from __future__ import annotations


class ExpressionError(ValueError):
    """A TaskRouter expression (or order_by clause) that cannot be compiled."""

    position: int
    reason: str
    expression: str

    def __init__(self, reason: str, position: int, expression: str) -> None:
        # All three go to ValueError so the exception pickles and copies faithfully.
        super().__init__(reason, position, expression)
        self.reason = reason
        self.position = position
        self.expression = expression

    def __str__(self) -> str:
        return f"Invalid expression at position {self.position}: {self.reason}"
