"""Background loops of the operations domain. Their timers are columns (`next_escalation_at`,
`next_attempt_at`), so after a restart they simply pick up what is due."""

from __future__ import annotations

import asyncio

import httpx

from atende.ops.context import SERVICE_KEY, OpsContext
from atende.ops.delivery import NotificationDelivery
from atende.ops.repository import OpsRepository
from atende.ops.service import IncidentService
from atende.runtime import Runtime

BATCH = 100


def ops_context(runtime: Runtime) -> OpsContext:
    context: OpsContext = runtime.services[SERVICE_KEY]
    return context


async def escalation_tick(runtime: Runtime) -> int:
    """Follow the clocks of every incident whose next escalation instant has come."""
    context = ops_context(runtime)
    now = context.clock()
    async with runtime.sessions() as session:
        due = await OpsRepository(session).incidents_due_for_escalation(now, BATCH)
        service = IncidentService(session, context, now)
        for incident in due:
            await service.follow_clocks(incident)
        await session.commit()
    return len(due)


async def run_escalations(runtime: Runtime) -> None:
    while True:
        if await escalation_tick(runtime) < BATCH:
            await asyncio.sleep(ops_context(runtime).settings.escalation_tick_seconds)


async def run_deliveries(runtime: Runtime) -> None:
    async with httpx.AsyncClient() as http:
        while True:
            hub = runtime.services.get("messaging")
            connector, session = (hub.meta, hub.http) if hub is not None else (None, None)
            delivery = NotificationDelivery(ops_context(runtime), http, connector, session)
            if await delivery.deliver_due(runtime.sessions) == 0:
                await asyncio.sleep(ops_context(runtime).settings.escalation_tick_seconds)
