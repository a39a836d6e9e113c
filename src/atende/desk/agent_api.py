"""The agent desktop's JSON: the agent's own state and actions on their own work only."""

from __future__ import annotations

from fastapi import APIRouter, Response

from atende.deps import AnyUser, DbSession, RuntimeDep
from atende.desk.agent_service import AgentDesk
from atende.desk.schemas import (
    ActivityChange,
    AgentState,
    Completion,
    CustomerPanel,
    TransferTargets,
)

router = APIRouter(prefix="/api/desk", tags=["desk"])


@router.get("/agent")
async def agent_state(principal: AnyUser, session: DbSession, runtime: RuntimeDep) -> AgentState:
    """What the agent holds right now, and the stream sequence to resume from."""
    return await AgentDesk(session, runtime, principal).state()


@router.post("/activity", status_code=204)
async def change_activity(
    body: ActivityChange, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    await AgentDesk(session, runtime, principal).set_activity(body.activity_sid)
    return Response(status_code=204)


@router.post("/reservations/{reservation_sid}/accept", status_code=204)
async def accept(
    reservation_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    await AgentDesk(session, runtime, principal).accept(reservation_sid)
    return Response(status_code=204)


@router.post("/reservations/{reservation_sid}/reject", status_code=204)
async def reject(
    reservation_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    await AgentDesk(session, runtime, principal).reject(reservation_sid)
    return Response(status_code=204)


@router.post("/tasks/{task_sid}/wrapup", status_code=204)
async def start_wrap_up(
    task_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    await AgentDesk(session, runtime, principal).start_wrap_up(task_sid)
    return Response(status_code=204)


@router.post("/tasks/{task_sid}/complete", status_code=204)
async def complete(
    task_sid: str, body: Completion, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    await AgentDesk(session, runtime, principal).complete(
        task_sid, body.disposition_code, body.note
    )
    return Response(status_code=204)


@router.get("/tasks/{task_sid}/customer")
async def customer(
    task_sid: str, principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> CustomerPanel:
    return await AgentDesk(session, runtime, principal).customer(task_sid)


@router.get("/transfer-targets")
async def transfer_targets(
    principal: AnyUser, session: DbSession, runtime: RuntimeDep
) -> TransferTargets:
    return await AgentDesk(session, runtime, principal).transfer_targets()
