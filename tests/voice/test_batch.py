"""Group commit: webhooks that arrive together share a transaction, each still answered only
after it is stored, duplicates kept once, and one failing webhook losing none of the others."""

from __future__ import annotations

import asyncio
import itertools
import json

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from atende.config import Settings
from atende.conversations.protocol_models import Protocol
from atende.taskrouter.models import Task
from atende.voice.batch import Job, WebhookBatcher, batcher
from atende.voice.channels import ChannelService
from atende.voice.models import VoiceWebhook
from atende.voice.repository import VoiceRepository
from tests.support.waiting import eventually
from tests.voice.carrier import COMPANY_NUMBER, Carrier, signed_headers
from tests.voice.conftest import ContactCenter, queued_caller

INBOUND = "http://testserver/webhooks/twilio/voice"


async def arrive_together(
    client: httpx.AsyncClient, auth_token: str, forms: list[dict[str, str]]
) -> None:
    """Twilio posts these calls at once; each is answered with its place in a conference."""
    answers = await asyncio.gather(
        *(
            client.post(
                "/webhooks/twilio/voice",
                data=form,
                headers=signed_headers(auth_token, INBOUND, form),
            )
            for form in forms
        )
    )
    assert all("<Conference" in answer.text for answer in answers)


async def test_calls_arriving_together_each_get_one_call_and_one_task(
    center: ContactCenter, client: httpx.AsyncClient
) -> None:
    sids = [f"CA{index:032d}" for index in range(30)]
    forms = [
        {
            "AccountSid": center.twilio.account_sid,
            "CallSid": sid,
            "From": f"+55119{index:08d}",
            "To": COMPANY_NUMBER,
            "CallStatus": "ringing",
            "Direction": "inbound",
        }
        for index, sid in enumerate(sids)
    ]
    # Every fifth call is delivered twice at once, as a carrier retrying would.
    deliveries = forms + forms[::5]

    async def deliver(form: dict[str, str]) -> httpx.Response:
        headers = signed_headers(center.twilio.auth_token, INBOUND, form)
        return await client.post("/webhooks/twilio/voice", data=form, headers=headers)

    answers = await asyncio.gather(*(deliver(form) for form in deliveries))
    assert all(answer.status_code == 200 for answer in answers)
    by_call: dict[str, set[str]] = {}
    for form, answer in zip(deliveries, answers, strict=True):
        by_call.setdefault(form["CallSid"], set()).add(answer.text)
    assert all(len(texts) == 1 for texts in by_call.values()), "a replay got another answer"
    calls = await center.calls()
    assert sorted(str(call.customer_call_sid) for call in calls) == sids
    assert len({call.protocol for call in calls}) == len(sids)
    assert len(await center.webhooks()) == len(sids)
    async with center.runtime.sessions() as session:
        rows = await session.execute(select(Protocol.number, Protocol.reference))
        opened = {number: reference for number, reference in rows.tuples()}
    assert {opened.get(str(call.protocol)) for call in calls} == {call.sid for call in calls}


STRAIGHT_TO_QUEUE = {
    "name": "fila direta",
    "start": "saudacao",
    "nodes": {
        "saudacao": {"type": "say", "text": "Protocolo {protocol_digits}.", "next": "fila"},
        "fila": {"type": "handoff", "attributes": {"motivo": "apolice"}},
    },
}


async def test_calls_queued_together_each_get_their_own_routed_task(
    center: ContactCenter, client: httpx.AsyncClient
) -> None:
    async with center.runtime.sessions() as session:
        await ChannelService(session).update(center.channel_sid, flow=STRAIGHT_TO_QUEUE)
        await session.commit()
    await center.set_available("ana")
    forms = [
        {
            "AccountSid": center.twilio.account_sid,
            "CallSid": f"CA{index:032d}",
            "From": f"+55119{index:08d}",
            "To": COMPANY_NUMBER,
            "CallStatus": "ringing",
            "Direction": "inbound",
        }
        for index in range(20)
    ]
    await arrive_together(client, center.twilio.auth_token, forms)
    calls = await center.calls()
    async with center.runtime.sessions() as session:
        rows = await session.execute(select(Task.sid, Task.attributes, Task.assignment_status))
        tasks = {sid: (json.loads(text), status) for sid, text, status in rows.tuples()}
    assert sorted(tasks) == sorted(str(call.task_sid) for call in calls)
    for call in calls:
        attributes, _status = tasks[str(call.task_sid)]
        assert (attributes["voice_call_sid"], attributes["protocol"]) == (call.sid, call.protocol)
    assert sorted(status for _attributes, status in tasks.values()) == ["pending"] * 19 + [
        "reserved"
    ]


async def _stored(center: ContactCenter) -> list[str]:
    async with center.runtime.sessions() as session:
        return list((await session.execute(select(VoiceWebhook.key))).scalars())


async def test_a_failing_webhook_loses_none_of_the_others_in_its_batch(
    center: ContactCenter,
) -> None:
    batcher = WebhookBatcher(center.runtime)
    transactions: list[int] = []
    numbers = itertools.count()

    def storing(key: str, fail: bool = False) -> Job:
        async def job(session: AsyncSession) -> str:
            transactions.append(session.info.setdefault("test.transaction", next(numbers)))
            await VoiceRepository(session).store_webhook(key, "test", None, {})
            if fail:
                raise ValueError(f"webhook {key} is broken")
            count = await session.scalar(select(func.count()).select_from(VoiceWebhook))
            return f"{key} stored ({count})"

        return job

    keys = [f"key-{index}" for index in range(6)]
    outcomes = await asyncio.gather(
        *(batcher.run(storing(key, fail=key == "key-3")) for key in keys),
        return_exceptions=True,
    )
    failed = outcomes[3]
    assert isinstance(failed, ValueError) and "key-3" in str(failed)
    assert all(isinstance(outcome, str) for i, outcome in enumerate(outcomes) if i != 3)
    assert sorted(await _stored(center)) == [key for key in keys if key != "key-3"]
    # The first attempt ran them in one transaction up to the failure; then each ran alone.
    first, alone = transactions[:4], transactions[4:]
    assert len(set(first)) == 1
    assert len(alone) == len(set(alone)) == len(keys) and first[0] not in alone


async def test_a_lone_webhook_is_written_at_once(center: ContactCenter) -> None:
    batcher = WebhookBatcher(center.runtime)

    async def job(session: AsyncSession) -> str:
        await VoiceRepository(session).store_webhook("alone", "test", None, {})
        return "ok"

    assert await asyncio.wait_for(batcher.run(job), 10) == "ok"
    assert await _stored(center) == ["alone"]


async def _lock_waits(center: ContactCenter) -> int:
    """Sessions of this database waiting for a lock, as PostgreSQL reports them."""
    async with center.runtime.sessions() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return int(waiting or 0)


async def test_postgresql_a_batch_never_waits_for_a_call_while_holding_the_routing_lock(
    center: ContactCenter, carrier: Carrier, settings: Settings
) -> None:
    """A desk control holds a waiting call and then needs the workspace's routing lock, while a
    batch of webhooks has one that takes that lock (a menu answer queueing another call) and,
    after it, one for the control's call (its caller hangs up). The batch must not wait for the
    call while holding the routing lock (a wait PostgreSQL cannot see through, half of it being
    an asyncio lock): it gives the busy webhook to the next transaction. Every webhook is
    answered, the control goes through, and the hang-up ends the call once the control is
    done."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL only")
    held = await queued_caller(carrier)  # the desk control's call
    blocker = await queued_caller(carrier)  # keeps the first batch busy meanwhile
    choosing = await carrier.dial_in(from_="+5511933330000")  # at the menu
    calls = {call.customer_call_sid: call for call in await center.calls()}
    held_call, blocker_call = calls[held.call_sid], calls[blocker.call_sid]
    webhooks = batcher(center.runtime)

    async def queued_webhooks() -> int:
        return webhooks.waiting

    async with center.runtime.sessions() as blocking, center.runtime.sessions() as desk:
        await VoiceRepository(blocking).call(blocker_call.sid, lock=True)
        first = asyncio.create_task(blocker.hang_up())  # a batch alone, waiting for the call
        await eventually(lambda: _lock_waits(center), lambda n: n == 1)
        queueing = asyncio.create_task(choosing.press("7"))  # takes the routing lock
        await eventually(queued_webhooks, lambda n: n == 1)
        hanging_up = asyncio.create_task(held.hang_up())  # the desk's call
        await eventually(queued_webhooks, lambda n: n == 2)
        call = await VoiceRepository(desk).call(held_call.sid, lock=True)
        assert call is not None and call.task_sid is not None
        await blocking.commit()  # the next batch: the menu answer, then the hang-up
        assert (await asyncio.wait_for(first, 20)).status_code == 200
        await eventually(lambda: _lock_waits(center), lambda n: n == 1)
        routing = center.runtime.services["voice.routing"](desk, center.runtime)
        attributes = {**call.attributes, "nota": "cliente VIP"}
        await asyncio.wait_for(
            routing.update_attributes(center.workspace_sid, call.task_sid, attributes), 20
        )
        await desk.commit()
    await asyncio.wait_for(queueing, 20)
    assert choosing.gather() is not None  # the callback offer, after the hand-off
    assert (await asyncio.wait_for(hanging_up, 20)).status_code == 200
    ended = await center.call(held_call.sid)
    assert ended.stage == "ended" and ended.abandoned
    task = await center.task(ended.task_sid or "")
    assert task.assignment_status == "canceled"
    assert json.loads(task.attributes)["nota"] == "cliente VIP"
    stages = {call.customer_number: call.stage for call in await center.calls()}
    assert stages["+5511933330000"] == "queued"
