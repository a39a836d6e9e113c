"""What a routing command writes: only the rows that changed, each table's rows in one statement
(PostgreSQL runs an executemany as a statement per row), and any number of rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, select

from atende.taskrouter import models
from atende.taskrouter.upserts import ROWS_PER_STATEMENT, upsert
from tests.taskrouter.builders import build_center


async def test_an_offer_rewrites_only_the_channel_it_takes(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    ana = await center.worker("ana")
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        before = {
            row.task_channel_sid: row.date_updated
            for row in await session.scalars(
                select(models.WorkerChannel).where(models.WorkerChannel.worker_sid == ana)
            )
        }
    assert len(before) > 1, "a worker has a row per task channel"
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", seen)
    try:
        task = await center.task(customer=1)
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", seen)

    assert task["assignment_status"] == "reserved"
    async with runtime.sessions() as session:
        after = {
            row.task_channel_sid: (row.date_updated, row.available)
            for row in await session.scalars(
                select(models.WorkerChannel).where(models.WorkerChannel.worker_sid == ana)
            )
        }
    taken = task["task_channel_sid"]
    assert after[taken][0] != before[taken], "the offered channel's row is written"
    assert {sid: updated for sid, (updated, _) in after.items() if sid != taken} == {
        sid: updated for sid, updated in before.items() if sid != taken
    }, "the worker's other channels are left alone"
    if runtime.engine.dialect.name == "sqlite":  # PostgreSQL's go to psycopg directly, unseen
        channel_writes = [s for s in statements if 'INTO "taskrouter_worker_channels"' in s]
        bucket_writes = [s for s in statements if 'INTO "taskrouter_statistics_buckets"' in s]
        assert len(channel_writes) == 1
        assert len(bucket_writes) == 1, "a create's several statistics go in one statement"


async def test_upserts_of_more_rows_than_one_statement_holds_insert_then_update_them_all(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    minute = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    table = models.StatisticsBucket.__tablename__
    counts = range(ROWS_PER_STATEMENT * 2 + 50)
    rows: list[dict[str, Any]] = [
        {
            "workspace_sid": center.sid,
            "scope_sid": center.sid,
            "task_channel_sid": "default",
            "metric": f"metric{count}",
            "minute": minute,
            "count": count,
            "total": 0.0,
            "minimum": None,
            "maximum": None,
        }
        for count in counts
    ]
    async with app.state.runtime.sessions() as session:
        for _ in range(2):
            await upsert(
                session,
                models.StatisticsBucket,
                rows,
                key=("workspace_sid", "scope_sid", "task_channel_sid", "metric", "minute"),
                assignments=(f'"count" = "{table}"."count" + excluded."count"',),
            )
        await session.commit()
        stored = dict(
            (
                await session.execute(
                    select(models.StatisticsBucket.metric, models.StatisticsBucket.count).where(
                        models.StatisticsBucket.workspace_sid == center.sid,
                        models.StatisticsBucket.minute == minute,
                    )
                )
            )
            .tuples()
            .all()
        )
    assert stored == {f"metric{count}": 2 * count for count in counts}
