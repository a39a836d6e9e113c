"""Simulated calls for `atende demo` and the simulator: a sandbox channel and its callers.

    runtime.add_job("voice.sandbox", lambda: run_sandbox_callers(runtime, workflow_sid))

creates (once) a `sandbox` voice channel whose REST base URL is this node's own
`/sandbox/twilio`, waits until the node answers HTTP, then places calls that go through the same
webhooks, flows, routing and REST requests as a real carrier's (see atende.channels.sandbox_voice).
Agents' legs ring and answer by themselves; someone (a person at the desk, or the demo's
simulated agents) still has to accept the reservations and complete the tasks."""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets

import httpx

from atende.channels.sandbox_voice import CallerMix, SandboxCallers, SandboxCarrier
from atende.flows.default import default_flow
from atende.runtime import Runtime
from atende.voice.channels import ChannelService
from atende.voice.models import VoiceChannel
from atende.voice.repository import VoiceRepository

log = logging.getLogger(__name__)

SERVICE_KEY = "voice.sandbox"
SANDBOX_PREFIX = "/sandbox/twilio"
SANDBOX_NUMBER = "+551140000000"
READY_TIMEOUT = 60.0


class SandboxNetwork:
    """The carriers of this node's sandbox channels, shared by the REST route and the callers."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.http = httpx.AsyncClient(timeout=10.0)
        self.carriers: dict[str, SandboxCarrier] = {}

    def carrier(self, channel: VoiceChannel) -> SandboxCarrier:
        carrier = self.carriers.get(channel.account_sid)
        if carrier is None or carrier.auth_token != channel.auth_token:
            carrier = SandboxCarrier(channel.account_sid, channel.auth_token, http=self.http)
            self.carriers[channel.account_sid] = carrier
        return carrier

    async def rest(
        self, account_sid: str, authorization: str, method: str, path: str, body: str
    ) -> tuple[int, dict[str, object] | None]:
        async with self.runtime.sessions() as session:
            channels = await VoiceRepository(session).channels_for_account(account_sid)
        sandbox = [channel for channel in channels if channel.kind == "sandbox"]
        user, password = _basic(authorization)
        if not sandbox or not self.carrier(sandbox[0]).authorised(account_sid, user, password):
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        return await self.carrier(sandbox[0]).rest(method, path, body)

    async def close(self) -> None:
        for carrier in self.carriers.values():
            await carrier.close()
        await self.http.aclose()


def _basic(header: str) -> tuple[str, str]:
    if not header.startswith("Basic "):
        return "", ""
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return "", ""
    return user, password


def network(runtime: Runtime) -> SandboxNetwork:
    found = runtime.services.get(SERVICE_KEY)
    if found is None:
        found = runtime.services[SERVICE_KEY] = SandboxNetwork(runtime)
        runtime.on_stop(found.close)
    assert isinstance(found, SandboxNetwork)
    return found


async def ensure_sandbox_channel(
    runtime: Runtime, workflow_sid: str | None, number: str = SANDBOX_NUMBER
) -> VoiceChannel:
    async with runtime.sessions() as session:
        service = ChannelService(session)
        channel = await service.repo.channel_by_number(number)
        if channel is None:
            flow = default_flow("voice")
            # Simulated callers phone at any hour; the demo should not sit out of hours.
            flow["nodes"]["horario"]["calendar"] = "24x7"
            channel = await service.create(
                name="Sandbox (simulação)",
                flow=flow,
                kind="sandbox",
                phone_number=number,
                account_sid="AC" + secrets.token_hex(16),
                auth_token=secrets.token_urlsafe(24),
                api_base=runtime.settings.public_url.rstrip("/") + SANDBOX_PREFIX,
                workflow_sid=workflow_sid or runtime.settings.default_workflow_sid,
            )
        await session.commit()
        return channel


async def wait_until_serving(runtime: Runtime, http: httpx.AsyncClient) -> None:
    """Jobs start before the server listens; the callers need it to answer."""
    url = runtime.settings.public_url.rstrip("/") + "/healthz"
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        try:
            if (await http.get(url)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {READY_TIMEOUT:.0f} s")


async def run_sandbox_callers(
    runtime: Runtime,
    workflow_sid: str | None = None,
    mix: CallerMix | None = None,
    limit: int | None = None,
) -> None:
    """A job: simulated customers calling the sandbox channel (for ever, or `limit` calls)."""
    sandbox = network(runtime)
    await wait_until_serving(runtime, sandbox.http)
    channel = await ensure_sandbox_channel(runtime, workflow_sid)
    callers = SandboxCallers(
        sandbox.carrier(channel), runtime.settings.public_url, channel.phone_number, mix
    )
    log.info("sandbox callers phoning %s", channel.phone_number)
    await callers.run(limit)
