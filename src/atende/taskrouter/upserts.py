"""INSERT … ON CONFLICT DO UPDATE written once per shape, for SQLite and PostgreSQL alike.

SQLAlchemy never caches its dialect `insert()` constructs (they opt out of the statement cache),
so each command would compile its upserts again, about a millisecond apiece. The same SQL as a
text statement with typed parameters is compiled once: both databases accept it verbatim, and
the typed parameters keep the column types' conversions (UTC timestamps)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession


def _quoted(name: str) -> str:
    return f'"{name}"'


@functools.cache
def upsert_statement(
    model: Any, columns: tuple[str, ...], key: tuple[str, ...], assignments: tuple[str, ...]
) -> TextClause:
    """`assignments` are `SET` clauses such as `"priority" = excluded."priority"`."""
    table = model.__table__
    sql = (
        f"INSERT INTO {_quoted(table.name)} ({', '.join(map(_quoted, columns))}) "
        f"VALUES ({', '.join(f':{column}' for column in columns)}) "
        f"ON CONFLICT ({', '.join(map(_quoted, key))}) DO UPDATE SET {', '.join(assignments)}"
    )
    return text(sql).bindparams(
        *(bindparam(column, type_=table.c[column].type) for column in columns)
    )


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
    """Every row must give every column the table requires (no Python defaults apply)."""
    if not rows:
        return
    statement = upsert_statement(model, tuple(rows[0]), tuple(key), tuple(assignments))
    await session.execute(statement, list(rows))
