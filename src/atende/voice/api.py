"""Voice over HTTP: Twilio's webhooks, the desk's call controls (`/api/calls`), softphone tokens
and voice channels (`/api/voice/…`). `setup` attaches the voice services and background jobs."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from atende.deps import Admin, AnyUser, DbSession, RuntimeDep
from atende.flows.runner import FlowRunner
from atende.patches import requested_changes
from atende.runtime import Runtime
from atende.voice import jobs, legs, writer
from atende.voice.channels import ChannelService
from atende.voice.config import VoiceConfig
from atende.voice.context import LEG_REPLY
from atende.voice.controls import CallService
from atende.voice.directory import directory
from atende.voice.models import Call
from atende.voice.sandbox import SANDBOX_PREFIX, network
from atende.voice.schemas import (
    CallDetail,
    CallOut,
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    LegOut,
    OutboundIn,
    RecordingOut,
    ThirdPartyIn,
    TokenOut,
    TransferIn,
    WrapUpIn,
)
from atende.voice.taskrouter_routing import TaskRouterRouting
from atende.voice.webhooks import router as webhooks_router

router = APIRouter()
# Twilio's webhooks are matched before every other route (see `atende.app`): the carrier times
# its answers, and FastAPI tries routes one by one.
early_router = webhooks_router
calls = APIRouter(prefix="/api/calls", tags=["calls"])
voice = APIRouter(prefix="/api/voice", tags=["voice"])
sandbox = APIRouter(prefix=SANDBOX_PREFIX, include_in_schema=False)


def setup(runtime: Runtime) -> None:
    runtime.services["voice.config"] = VoiceConfig.from_env()
    runtime.services["voice.flows"] = {}
    runtime.services["voice.routing"] = TaskRouterRouting
    runtime.services["voice.flow_runner"] = FlowRunner()
    writer.install(runtime)
    jobs.watch_instructions()

    async def start() -> None:
        runner: FlowRunner = runtime.services["voice.flow_runner"]
        runner.http = httpx.AsyncClient()
        outbox = runtime.services.get("outbox")
        if outbox is not None:
            outbox.reply_handlers[LEG_REPLY] = legs.reply_handler(runtime)
        async with runtime.sessions() as session:
            await ChannelService(session).ensure_from_settings(runtime.settings)
            await session.commit()

    async def stop() -> None:
        runner: FlowRunner = runtime.services["voice.flow_runner"]
        if runner.http is not None:
            await runner.http.aclose()

    runtime.on_start(start)
    runtime.on_stop(stop)
    runtime.add_job("voice.follow-routing", lambda: jobs.follow_routing(runtime))
    runtime.add_job("voice.reconcile", lambda: jobs.reconcile_forever(runtime))
    runtime.add_job("voice.recording-retention", lambda: jobs.purge_forever(runtime))


async def _detail(service: CallService, call: Call) -> CallDetail:
    detail = CallDetail.model_validate(call)
    detail.legs = [LegOut.model_validate(leg) for leg in await service.repo.legs(call.sid)]
    detail.recordings = [
        RecordingOut.model_validate(recording)
        for recording in await service.repo.recordings(call.sid)
    ]
    return detail


# ------------------------------------------------------------------ calls


@calls.get("", response_model=list[CallOut])
async def list_calls(
    principal: AnyUser,
    session: DbSession,
    runtime: RuntimeDep,
    active: bool | None = Query(default=None),
) -> list[Call]:
    """An agent sees their own calls; supervisors and admins see every call."""
    repo = CallService(session, runtime).repo
    if principal.role.value == "agent":
        if principal.worker_sid is None:
            return []
        return list(await repo.list_calls(worker_sid=principal.worker_sid, active=active))
    return list(await repo.list_calls(active=active))


@calls.post("", response_model=CallDetail, status_code=201)
async def click_to_call(
    body: OutboundIn, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.click_to_call(principal, body.to, body.channel_sid)
    return await _detail(service, call)


@calls.get("/{call_sid}", response_model=CallDetail)
async def get_call(
    call_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    return await _detail(service, await service.call_for(principal, call_sid))


@calls.post("/{call_sid}/hold", response_model=CallDetail)
async def hold(
    call_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.hold(await service.call_for(principal, call_sid), True)
    return await _detail(service, call)


@calls.post("/{call_sid}/resume", response_model=CallDetail)
async def resume(
    call_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.hold(await service.call_for(principal, call_sid), False)
    return await _detail(service, call)


@calls.post("/{call_sid}/mute", response_model=CallDetail)
async def mute(
    call_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.mute(await service.call_for(principal, call_sid), principal, True)
    return await _detail(service, call)


@calls.post("/{call_sid}/unmute", response_model=CallDetail)
async def unmute(
    call_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.mute(await service.call_for(principal, call_sid), principal, False)
    return await _detail(service, call)


@calls.post("/{call_sid}/transfer", response_model=CallDetail)
async def transfer(
    call_sid: str, body: TransferIn, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    """Cold or warm transfer to an agent (`worker_sid`) or a queue (`queue_sid`)."""
    service = CallService(session, runtime)
    call = await service.call_for(principal, call_sid)
    call = await service.transfer(call, body.kind, body.worker_sid, body.queue_sid)
    return await _detail(service, call)


@calls.post("/{call_sid}/transfer/complete", response_model=CallDetail)
async def complete_transfer(
    call_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.complete_transfer(await service.call_for(principal, call_sid))
    return await _detail(service, call)


@calls.post("/{call_sid}/transfer/cancel", response_model=CallDetail)
async def cancel_transfer(
    call_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.cancel_transfer(await service.call_for(principal, call_sid))
    return await _detail(service, call)


@calls.post("/{call_sid}/participants", response_model=CallDetail)
async def add_third_party(
    call_sid: str, body: ThirdPartyIn, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.add_third_party(await service.call_for(principal, call_sid), body.number)
    return await _detail(service, call)


@calls.post("/{call_sid}/hangup", response_model=CallDetail)
async def hang_up(
    call_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.hang_up(await service.call_for(principal, call_sid))
    return await _detail(service, call)


@calls.post("/{call_sid}/recording/pause", response_model=CallDetail)
async def pause_recording(
    call_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    """Pause while the customer gives card data; resume afterwards."""
    service = CallService(session, runtime)
    call = await service.set_recording(await service.call_for(principal, call_sid), True)
    return await _detail(service, call)


@calls.post("/{call_sid}/recording/resume", response_model=CallDetail)
async def resume_recording(
    call_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.set_recording(await service.call_for(principal, call_sid), False)
    return await _detail(service, call)


@calls.post("/{call_sid}/wrapup", response_model=CallDetail)
async def wrap_up(
    call_sid: str, body: WrapUpIn, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.call_for(principal, call_sid)
    call = await service.wrap_up(call, body.disposition, body.notes)
    return await _detail(service, call)


@calls.post("/{call_sid}/complete", response_model=CallDetail)
async def complete(
    call_sid: str, body: WrapUpIn, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CallDetail:
    service = CallService(session, runtime)
    call = await service.call_for(principal, call_sid)
    call = await service.complete(call, body.disposition, body.notes)
    return await _detail(service, call)


# ------------------------------------------------------------------ voice


@voice.get("/dispositions", response_model=list[str])
async def dispositions(principal: AnyUser, session: DbSession, runtime: RuntimeDep) -> list[str]:
    return await CallService(session, runtime).dispositions()


@voice.get("/token", response_model=TokenOut)
async def softphone_token(
    principal: AnyUser,
    session: DbSession,
    runtime: RuntimeDep,
    channel_sid: str | None = Query(default=None),
) -> dict[str, object]:
    return await CallService(session, runtime).access_token(principal, channel_sid)


@voice.get("/channels", response_model=list[ChannelOut])
async def list_channels(principal: Admin, session: DbSession) -> list[object]:
    return list(await ChannelService(session).repo.list_channels())


@voice.post("/channels", response_model=ChannelOut, status_code=201)
async def create_channel(
    body: ChannelIn, principal: Admin, session: DbSession, runtime: RuntimeDep
) -> object:
    channel = await ChannelService(session).create(**body.model_dump())
    directory(runtime).forget()
    return channel


@voice.patch("/channels/{sid}", response_model=ChannelOut)
async def update_channel(
    sid: str, body: ChannelPatch, principal: Admin, session: DbSession, runtime: RuntimeDep
) -> object:
    channel = await ChannelService(session).update(sid, **requested_changes(body))
    directory(runtime).forget()
    return channel


# ---------------------------------------------------------------- sandbox


@sandbox.api_route(
    "/2010-04-01/Accounts/{account_sid}/{path:path}", methods=["GET", "POST", "DELETE"]
)
async def sandbox_rest(
    account_sid: str, path: str, request: Request, runtime: RuntimeDep
) -> Response:
    """Twilio's REST API as the sandbox carrier answers it, for sandbox channels only."""
    body = (await request.body()).decode()
    authorization = request.headers.get("authorization", "")
    status, answer = await network(runtime).rest(
        account_sid, authorization, request.method, path, body
    )
    if answer is None:
        return Response(status_code=status)
    return JSONResponse(answer, status_code=status)


router.include_router(calls)
router.include_router(voice)
router.include_router(sandbox)
