"""Support configuration over HTTP: closures, the escalation list, the SLA table in force."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from atende.deps import Admin, AnyUser, DbSession, RuntimeDep
from atende.ops.config_service import SupportConfigService
from atende.ops.context import OpsContext
from atende.ops.jobs import ops_context
from atende.ops.repository import OpsRepository
from atende.ops.schemas import (
    ClosureIn,
    ClosureOut,
    ComponentIn,
    EscalationListIn,
    EscalationListOut,
    MaintenanceIn,
    MaintenanceOut,
    SlaTableOut,
    StatusComponentOut,
)

router = APIRouter(prefix="/api/ops", tags=["operations"])


async def config_service(session: DbSession) -> SupportConfigService:
    return SupportConfigService(session)


ConfigService = Annotated[SupportConfigService, Depends(config_service)]


@router.get("/closures", response_model=list[ClosureOut])
async def list_closures(session: DbSession, _who: AnyUser) -> list[ClosureOut]:
    return [ClosureOut.model_validate(row) for row in await OpsRepository(session).closures()]


@router.post("/closures", response_model=ClosureOut, status_code=201)
async def add_closure(body: ClosureIn, service: ConfigService, who: Admin) -> ClosureOut:
    return ClosureOut.model_validate(await service.add_closure(body, who.name))


@router.delete("/closures/{closure_id}", status_code=204)
async def remove_closure(closure_id: int, service: ConfigService, who: Admin) -> Response:
    await service.remove_closure(closure_id, who.name)
    return Response(status_code=204)


@router.get("/escalation", response_model=EscalationListOut)
async def get_escalation(service: ConfigService, _who: AnyUser) -> EscalationListOut:
    return EscalationListOut(levels=await service.escalation_list())


@router.put("/escalation", response_model=EscalationListOut)
async def replace_escalation(
    body: EscalationListIn, service: ConfigService, who: Admin
) -> EscalationListOut:
    return EscalationListOut(levels=await service.replace_escalation_list(body, who.name))


@router.get("/sla", response_model=SlaTableOut)
async def sla_table(session: DbSession, _who: AnyUser, runtime: RuntimeDep) -> SlaTableOut:
    context: OpsContext = ops_context(runtime)
    return SlaTableOut.of(await context.policy(OpsRepository(session)), context.settings)


@router.get("/components", response_model=list[StatusComponentOut])
async def list_components(session: DbSession, _who: AnyUser) -> list[StatusComponentOut]:
    rows = await OpsRepository(session).components()
    return [StatusComponentOut.model_validate(row) for row in rows]


@router.put("/components/{key}", response_model=StatusComponentOut)
async def put_component(
    key: str, body: ComponentIn, service: ConfigService, who: Admin
) -> StatusComponentOut:
    return StatusComponentOut.model_validate(await service.put_component(key, body, who.name))


@router.post("/maintenance", response_model=MaintenanceOut, status_code=201)
async def schedule_maintenance(
    body: MaintenanceIn, service: ConfigService, who: Admin
) -> MaintenanceOut:
    return MaintenanceOut.model_validate(await service.add_maintenance(body, who.name))


@router.delete("/maintenance/{window_id}", status_code=204)
async def cancel_maintenance(window_id: int, service: ConfigService, who: Admin) -> Response:
    await service.remove_maintenance(window_id, who.name)
    return Response(status_code=204)
