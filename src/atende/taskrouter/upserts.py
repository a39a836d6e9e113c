"""INSERT … ON CONFLICT DO UPDATE written once per shape, for SQLite and PostgreSQL alike.

SQLAlchemy never caches its dialect `insert()` constructs (they opt out of the statement cache),
so each command would compile its upserts again, about a millisecond apiece. The same SQL as a
text statement with typed parameters is compiled once: both databases accept it verbatim, and
the typed parameters keep the column types' conversions (UTC timestamps). On PostgreSQL the
statement goes straight to psycopg, which converts every value these tables hold by itself:
SQLAlchemy's execution added about as much work again as psycopg's own (50-90 µs a statement,
several statements a command)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from atende.db.engine import driver_connection


def _quoted(name: str) -> str:
    return f'"{name}"'


ROWS_PER_STATEMENT = 100
"""Rows in one INSERT: few enough to stay far below SQLite's 32,766 parameters for any table
here, and to bound the statements kept compiled to one per count up to it."""


def _upsert_sql(
    table: str,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    assignments: tuple[str, ...],
    rows: Sequence[str],
) -> str:
    return (
        f"INSERT INTO {_quoted(table)} ({', '.join(map(_quoted, columns))}) "
        f"VALUES {', '.join(rows)} "
        f"ON CONFLICT ({', '.join(map(_quoted, key))}) DO UPDATE SET {', '.join(assignments)}"
    )


@functools.lru_cache(maxsize=256)
def upsert_statement(
    model: Any,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    assignments: tuple[str, ...],
    count: int = 1,
) -> TextClause:
    """One statement for `count` rows, their parameters named `<column>_<row>`.
    `assignments` are `SET` clauses such as `"priority" = excluded."priority"`."""
    table = model.__table__
    rows = ["(" + ", ".join(f":{column}_{row}" for column in columns) + ")" for row in range(count)]
    return text(_upsert_sql(table.name, columns, key, assignments, rows)).bindparams(
        *(
            bindparam(f"{column}_{row}", type_=table.c[column].type)
            for row in range(count)
            for column in columns
        )
    )


@functools.lru_cache(maxsize=256)
def _psycopg_upsert(
    table: str,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    assignments: tuple[str, ...],
    count: int,
) -> str:
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return _upsert_sql(table, columns, key, assignments, [row] * count)


def copy_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """`SET` clauses that take the inserted row's value for each column."""
    return tuple(f"{_quoted(column)} = excluded.{_quoted(column)}" for column in columns)


def bump_version(model: Any) -> str:
    return f'"version" = {_quoted(model.__table__.name)}."version" + 1'


async def upsert(
    session: AsyncSession,
    model: Any,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    assignments: Sequence[str],
) -> None:
    """Every row must give every column the table requires (no Python defaults apply), and no
    two rows may share a key (one statement cannot update a row twice).

    The rows go in multi-row statements, not as an executemany: on PostgreSQL each row of an
    executemany is a statement of its own for the server (and for psycopg's pipeline)."""
    if not rows:
        return
    columns, key_, assignments_ = tuple(rows[0]), tuple(key), tuple(assignments)
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        if on_postgresql:
            sql = _psycopg_upsert(model.__tablename__, columns, key_, assignments_, len(chunk))
            cursor = (await driver_connection(session)).cursor()
            await cursor.execute(sql, [row[column] for row in chunk for column in columns])
        else:
            statement = upsert_statement(model, columns, key_, assignments_, len(chunk))
            await session.execute(statement, _named(chunk, columns))


def _named(rows: Sequence[dict[str, Any]], columns: tuple[str, ...]) -> dict[str, Any]:
    """The rows' values under `upsert_statement`'s parameter names."""
    return {
        f"{column}_{index}": row[column] for index, row in enumerate(rows) for column in columns
    }
