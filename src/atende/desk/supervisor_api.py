"""The supervisor views' JSON: live queues, the team, and acting on agents and tasks."""

from __future__ import annotations

from fastapi import APIRouter, Response

from atende.deps import DbSession, RuntimeDep, Supervisor
from atende.desk.schemas import ActivityChange, MoveTask, Overview, Team
from atende.desk.supervisor_service import SupervisorDesk
from atende.errors import Problem

router = APIRouter(prefix="/api/desk/supervisor", tags=["desk supervision"])

MAX_WORKERS_ASKED = 2000


@router.get("")
async def overview(
    principal: Supervisor,
    session: DbSession,
    runtime: RuntimeDep,
    workspace_sid: str | None = None,
) -> Overview:
    """Queues right now and today; `last_seq` is where the workspace stream resumes."""
    return await SupervisorDesk(session, runtime, principal).overview(workspace_sid)


@router.get("/team")
async def team(
    principal: Supervisor,
    session: DbSession,
    runtime: RuntimeDep,
    workspace_sid: str | None = None,
    workers: str | None = None,
) -> Team:
    """Every agent, or only those named in `workers` (comma-separated SIDs)."""
    sids = [sid for sid in workers.split(",") if sid] if workers else None
    if sids is not None and len(sids) > MAX_WORKERS_ASKED:
        raise Problem(422, "Too many workers", f"workers: at most {MAX_WORKERS_ASKED} at once")
    return await SupervisorDesk(session, runtime, principal).team(workspace_sid, sids)


async def _workspace(desk: SupervisorDesk, asked: str | None) -> str:
    workspace_sid = await desk.workspace(asked)
    if workspace_sid is None:
        raise Problem(404, "Not Found", "there is no workspace yet")
    return workspace_sid


@router.post("/workers/{worker_sid}/activity", status_code=204)
async def change_activity(
    worker_sid: str,
    body: ActivityChange,
    principal: Supervisor,
    session: DbSession,
    runtime: RuntimeDep,
    workspace_sid: str | None = None,
) -> Response:
    desk = SupervisorDesk(session, runtime, principal)
    await desk.set_activity(await _workspace(desk, workspace_sid), worker_sid, body.activity_sid)
    return Response(status_code=204)


@router.post("/workers/{worker_sid}/sign-out", status_code=204)
async def sign_out(
    worker_sid: str,
    principal: Supervisor,
    session: DbSession,
    runtime: RuntimeDep,
    workspace_sid: str | None = None,
) -> Response:
    desk = SupervisorDesk(session, runtime, principal)
    await desk.sign_out(await _workspace(desk, workspace_sid), worker_sid)
    return Response(status_code=204)


@router.post("/tasks/{task_sid}/move", status_code=204)
async def move_task(
    task_sid: str,
    body: MoveTask,
    principal: Supervisor,
    session: DbSession,
    runtime: RuntimeDep,
    workspace_sid: str | None = None,
) -> Response:
    desk = SupervisorDesk(session, runtime, principal)
    await desk.move(
        await _workspace(desk, workspace_sid), task_sid, body.queue_sid, body.worker_sid
    )
    return Response(status_code=204)
