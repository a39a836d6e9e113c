"""Group commit: webhooks that arrive together share a transaction, each still answered only
after it is stored, duplicates kept once, and one failing webhook losing none of the others."""

from __future__ import annotations

import asyncio
import itertools

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.voice.batch import Job, WebhookBatcher
from atende.voice.models import VoiceWebhook
from atende.voice.repository import VoiceRepository
from tests.voice.carrier import COMPANY_NUMBER, signed_headers
from tests.voice.conftest import ContactCenter

INBOUND = "http://testserver/webhooks/twilio/voice"


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
