"""Running the health checks: opening an incident for a component that went down (severity
proposed from what failed) and restoring it once the component recovers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import httpx

from atende.ops.health import CheckCounter, CheckResult, check_redis, check_url
from atende.ops.jobs import ops_context
from atende.ops.models import StatusComponent
from atende.ops.repository import OpsRepository
from atende.ops.schemas import IncidentCreate
from atende.ops.service import ACTIVE, IncidentService
from atende.ops.severity import propose_severity
from atende.ops.timeline import EntryKind
from atende.runtime import Runtime

HEALTH_REPORTER = "atende-health"
REDIS_COMPONENT = "routing"


class HealthMonitor:
    """Counters live in the node; whether a component is down lives in its open incident."""

    def __init__(self) -> None:
        self.counters: dict[str, CheckCounter] = {}

    async def tick(self, runtime: Runtime, client: httpx.AsyncClient) -> dict[str, CheckResult]:
        async with runtime.sessions() as session:
            components = await OpsRepository(session).components()
        checks = self._checks(runtime, client, components)
        results = dict(zip(checks, await asyncio.gather(*checks.values()), strict=True))
        changes = {
            key: change
            for key, result in results.items()
            if (change := self.counters.setdefault(key, CheckCounter()).observe(result.ok))
        }
        if changes:
            await self._record(runtime, components, results, changes)
        return results

    def _checks(
        self, runtime: Runtime, client: httpx.AsyncClient, components: list[StatusComponent]
    ) -> dict[str, Awaitable[CheckResult]]:
        checks: dict[str, Awaitable[CheckResult]] = {
            component.key: check_url(client, component.check_url)
            for component in components
            if component.check_url
        }
        redis = runtime.services.get("redis")
        keys = {component.key for component in components}
        if redis is not None and REDIS_COMPONENT in keys and REDIS_COMPONENT not in checks:
            checks[REDIS_COMPONENT] = check_redis(redis)
        return checks

    async def _record(
        self,
        runtime: Runtime,
        components: list[StatusComponent],
        results: dict[str, CheckResult],
        changes: dict[str, str],
    ) -> None:
        names = {component.key: component.name for component in components}
        async with runtime.sessions() as session:
            service = IncidentService(session, ops_context(runtime))
            repo = service.repo
            for key, change in changes.items():
                open_ones = [
                    incident
                    for incident in await repo.incidents(statuses=sorted(ACTIVE), component=key)
                    if incident.reporter == HEALTH_REPORTER
                ]
                if change == "down" and not open_ones:
                    result = results[key]
                    proposal = propose_severity(result.impact)
                    form = IncidentCreate(
                        title=f"{names[key]}: verificação automática falhou",
                        description=result.detail,
                        component=key,
                        severity=proposal.severity,
                        emergency=result.impact.emergency,
                        partial_interruption=result.impact.partial_interruption,
                        degraded=result.impact.degraded,
                    )
                    await service.open(form, HEALTH_REPORTER)
                elif change == "recovered":
                    for incident in open_ones:
                        reason = "2 verificações seguidas com sucesso"
                        await service.act(
                            incident.sid,
                            EntryKind.RESTORED,
                            HEALTH_REPORTER,
                            data={"reason": reason},
                        )
            await session.commit()


async def run_health_checks(runtime: Runtime) -> None:
    monitor: HealthMonitor = runtime.services.setdefault("ops.health", HealthMonitor())
    async with httpx.AsyncClient() as client:
        while True:
            await monitor.tick(runtime, client)
            await asyncio.sleep(ops_context(runtime).settings.health_interval_seconds)
