"""Event callbacks: posted as TaskRouter posts them, filtered, and retried until delivered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import select

from atende.events.models import OutboxMessage
from atende.events.record import EventRecord, WebhookTarget, record_events
from tests.support.http_receiver import http_receiver
from tests.support.waiting import eventually

WORKSPACE = "WS" + "1" * 32


async def _only_message(app: FastAPI) -> OutboxMessage:
    async with app.state.runtime.sessions() as session:
        return (await session.execute(select(OutboxMessage))).scalar_one()


def _record(event_type: str) -> EventRecord:
    return EventRecord(
        workspace_sid=WORKSPACE,
        event_type=event_type,
        resource_type="task",
        resource_sid="WT" + "2" * 32,
        description="Task created",
        data={"task_sid": "WT" + "2" * 32, "task_attributes": '{"type":"auto"}', "task_age": 0},
        occurred_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
        task_sid="WT" + "2" * 32,
    )


async def test_callback_is_retried_after_a_server_error_and_carries_twilio_fields(
    app: FastAPI,
) -> None:
    with http_receiver() as receiver:
        receiver.script = [500]
        target = WebhookTarget(
            url=receiver.url + "/events", account_sid="AC" + "3" * 32, workspace_name="Corretora"
        )
        async with app.state.runtime.sessions() as session:
            await record_events(session, [_record("task.created")], target)
            await session.commit()
        received = await asyncio.to_thread(receiver.wait_for, 2, 15.0)
        assert len(received) == 2, "the failed delivery was not retried"
        form = received[1].form
        assert form["EventType"] == "task.created"
        assert form["WorkspaceSid"] == WORKSPACE
        assert form["WorkspaceName"] == "Corretora"
        assert form["TaskSid"] == "WT" + "2" * 32
        assert form["TaskAttributes"] == '{"type":"auto"}'
        assert form["Timestamp"] == str(int(datetime(2026, 11, 24, 12, tzinfo=UTC).timestamp()))
    message = await eventually(lambda: _only_message(app), lambda m: m.status == "delivered")
    assert message.status == "delivered"
    assert message.attempts == 2


async def test_events_filter_leaves_other_events_out(app: FastAPI) -> None:
    target = WebhookTarget(
        url="http://127.0.0.1:9/never",
        account_sid="AC" + "3" * 32,
        workspace_name="Corretora",
        events_filter=frozenset({"task.completed"}),
    )
    async with app.state.runtime.sessions() as session:
        await record_events(session, [_record("task.created"), _record("task.completed")], target)
        await session.commit()
        messages = (await session.execute(select(OutboxMessage))).scalars().all()
    assert len(messages) == 1
    assert "EventType=task.completed" in messages[0].body


async def test_a_client_error_is_not_retried(app: FastAPI) -> None:
    with http_receiver() as receiver:
        receiver.default_status = 404
        target = WebhookTarget(
            url=receiver.url, account_sid="AC" + "3" * 32, workspace_name="Corretora"
        )
        async with app.state.runtime.sessions() as session:
            await record_events(session, [_record("task.created")], target)
            await session.commit()
        await asyncio.to_thread(receiver.wait_for, 1, 10.0)
    message = await eventually(lambda: _only_message(app), lambda m: m.status != "pending")
    assert message.status == "rejected"
    assert message.attempts == 1
