"""Health checks of the platform's components: external status URLs (Atlassian Statuspage's
`status.json` shape is understood) and Atende's own parts. A component is declared down after
3 failed checks in a row and recovers after 2 successes, so one blip opens nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from atende.ops.severity import Impact

FAILURES_TO_DEGRADE = 3
SUCCESSES_TO_RECOVER = 2
CHECK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    impact: Impact


@dataclass
class CheckCounter:
    """Consecutive results of one component's check, kept by each node."""

    down: bool = False
    failures: int = 0
    successes: int = 0

    def observe(self, ok: bool) -> str | None:
        """Count a result; returns "down" or "recovered" when the component changes state."""
        if ok:
            self.failures, self.successes = 0, self.successes + 1
            if self.down and self.successes >= SUCCESSES_TO_RECOVER:
                self.down = False
                return "recovered"
            return None
        self.failures, self.successes = self.failures + 1, 0
        if not self.down and self.failures >= FAILURES_TO_DEGRADE:
            self.down = True
            return "down"
        return None


async def check_url(client: httpx.AsyncClient, url: str) -> CheckResult:
    try:
        response = await client.get(url, timeout=CHECK_TIMEOUT)
    except httpx.HTTPError as exc:
        return CheckResult(False, f"{url} não respondeu ({exc.__class__.__name__})", _partial())
    if not response.is_success:
        return CheckResult(False, f"{url} respondeu HTTP {response.status_code}", _partial())
    return _statuspage_result(url, _json(response))


def _statuspage_result(url: str, body: Any) -> CheckResult:
    """`{"status": {"indicator": "none|minor|major|critical", "description": ...}}`."""
    status = body.get("status") if isinstance(body, dict) else None
    if not isinstance(status, dict):
        return CheckResult(True, f"{url} respondeu", Impact())
    indicator = str(status.get("indicator", "none"))
    description = str(status.get("description", indicator))
    if indicator in ("major", "critical"):
        return CheckResult(False, f"{url}: {description}", Impact(emergency=True))
    if indicator == "minor":
        return CheckResult(False, f"{url}: {description}", Impact(degraded=True))
    return CheckResult(True, f"{url}: {description}", Impact())


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _partial() -> Impact:
    return Impact(partial_interruption=True)


async def check_redis(redis: Any) -> CheckResult:
    """Atende's own part: without Redis, nodes stop sharing events."""
    try:
        await redis.ping()
    except Exception as exc:
        return CheckResult(False, f"Redis não respondeu ({exc.__class__.__name__})", _partial())
    return CheckResult(True, "Redis respondeu", Impact())
