"""Administration JSON: people and skills, queues and their goals, workflows with a dry run,
channels, holidays and business hours. Wrap-up codes and canned replies are in `settings_api`."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response

from atende.deps import Admin, DbSession, RuntimeDep
from atende.desk.admin_service import DeskAdministration, holidays_of
from atende.desk.business_hours import BusinessHoursService
from atende.desk.schemas import (
    BusinessHoursIn,
    BusinessHoursOut,
    ChannelView,
    DryRunIn,
    Holiday,
    QueueIn,
    QueuePatch,
    Queues,
    UserIn,
    UserPatch,
    Users,
    WorkflowPatch,
    Workflows,
    WorkflowVerdict,
)
from atende.errors import Problem

router = APIRouter(prefix="/api/desk/admin", tags=["desk administration"])


@router.get("/users")
async def list_users(principal: Admin, session: DbSession, runtime: RuntimeDep) -> Users:
    return await DeskAdministration(session, runtime, principal).users()


@router.post("/users", status_code=201)
async def create_user(
    body: UserIn, principal: Admin, session: DbSession, runtime: RuntimeDep
) -> Response:
    await DeskAdministration(session, runtime, principal).create_user(body)
    return Response(status_code=201)


@router.patch("/users/{user_id}", status_code=204)
async def change_user(
    user_id: int, body: UserPatch, principal: Admin, session: DbSession, runtime: RuntimeDep
) -> Response:
    await DeskAdministration(session, runtime, principal).change_user(user_id, body)
    return Response(status_code=204)


@router.get("/queues")
async def list_queues(principal: Admin, session: DbSession, runtime: RuntimeDep) -> Queues:
    return await DeskAdministration(session, runtime, principal).queues()


@router.post("/queues", status_code=201)
async def create_queue(
    body: QueueIn, principal: Admin, session: DbSession, runtime: RuntimeDep
) -> Response:
    await DeskAdministration(session, runtime, principal).create_queue(body)
    return Response(status_code=201)


@router.patch("/queues/{queue_sid}", status_code=204)
async def change_queue(
    queue_sid: str, body: QueuePatch, principal: Admin, session: DbSession, runtime: RuntimeDep
) -> Response:
    await DeskAdministration(session, runtime, principal).change_queue(queue_sid, body)
    return Response(status_code=204)


@router.get("/workflows")
async def list_workflows(principal: Admin, session: DbSession, runtime: RuntimeDep) -> Workflows:
    return await DeskAdministration(session, runtime, principal).workflows()


@router.patch("/workflows/{workflow_sid}", status_code=204)
async def change_workflow(
    workflow_sid: str,
    body: WorkflowPatch,
    principal: Admin,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    await DeskAdministration(session, runtime, principal).change_workflow(
        workflow_sid, body.configuration
    )
    return Response(status_code=204)


@router.post("/workflows/dry-run")
async def dry_run(
    body: DryRunIn, principal: Admin, session: DbSession, runtime: RuntimeDep
) -> WorkflowVerdict:
    """Which queue would this task go to? Answers 200 with the verdict as the admin types."""
    return await DeskAdministration(session, runtime, principal).dry_run(
        body.workspace_sid, body.configuration, body.task_attributes
    )


@router.get("/channels")
async def channels(principal: Admin, session: DbSession, runtime: RuntimeDep) -> list[ChannelView]:
    return DeskAdministration(session, runtime, principal).channels()


@router.get("/holidays")
async def holidays(_admin: Admin, year: int | None = None) -> list[Holiday]:
    chosen = year or date.today().year
    if not 2000 <= chosen <= 2100:
        raise Problem(422, "Invalid year", "year: between 2000 and 2100")
    return holidays_of(chosen)


@router.get("/business-hours")
async def business_hours(
    _admin: Admin, session: DbSession, runtime: RuntimeDep
) -> BusinessHoursOut:
    return await BusinessHoursService(session, runtime).read()


@router.put("/business-hours")
async def save_business_hours(
    data: BusinessHoursIn, _admin: Admin, session: DbSession, runtime: RuntimeDep
) -> BusinessHoursOut:
    """Checked (each open day closes after it opens), saved, and in force at once."""
    return await BusinessHoursService(session, runtime).save(data)
