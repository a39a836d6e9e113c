"""Admin endpoints for what the desk itself stores, and the workflow editor's live checks."""

from __future__ import annotations

from fastapi import APIRouter, Response

from atende.deps import Admin, DbSession
from atende.desk.schemas import (
    CannedResponseIn,
    CannedResponseOut,
    CannedResponsePatch,
    DispositionIn,
    DispositionOut,
    DispositionPatch,
    ExpressionCheck,
    ExpressionVerdict,
)
from atende.desk.settings_service import DeskSettingsService
from atende.desk.workflow_check import check_expression

router = APIRouter(prefix="/api/desk/admin", tags=["desk administration"])


@router.get("/dispositions")
async def list_dispositions(_admin: Admin, session: DbSession) -> list[DispositionOut]:
    rows = await DeskSettingsService(session).dispositions(include_inactive=True)
    return [DispositionOut.model_validate(row) for row in rows]


@router.post("/dispositions", status_code=201)
async def add_disposition(data: DispositionIn, _admin: Admin, session: DbSession) -> DispositionOut:
    created = DispositionOut.model_validate(
        await DeskSettingsService(session).add_disposition(data)
    )
    return created


@router.patch("/dispositions/{disposition_id}")
async def change_disposition(
    disposition_id: int, data: DispositionPatch, _admin: Admin, session: DbSession
) -> DispositionOut:
    row = await DeskSettingsService(session).change_disposition(disposition_id, data)
    return DispositionOut.model_validate(row)


@router.get("/canned-responses")
async def list_canned_responses(_admin: Admin, session: DbSession) -> list[CannedResponseOut]:
    rows = await DeskSettingsService(session).canned_responses(include_inactive=True)
    return [CannedResponseOut.model_validate(row) for row in rows]


@router.post("/canned-responses", status_code=201)
async def add_canned_response(
    data: CannedResponseIn, _admin: Admin, session: DbSession
) -> CannedResponseOut:
    row = await DeskSettingsService(session).add_canned_response(data)
    return CannedResponseOut.model_validate(row)


@router.patch("/canned-responses/{response_id}")
async def change_canned_response(
    response_id: int, data: CannedResponsePatch, _admin: Admin, session: DbSession
) -> CannedResponseOut:
    row = await DeskSettingsService(session).change_canned_response(response_id, data)
    return CannedResponseOut.model_validate(row)


@router.delete("/canned-responses/{response_id}", status_code=204)
async def remove_canned_response(response_id: int, _admin: Admin, session: DbSession) -> Response:
    await DeskSettingsService(session).remove_canned_response(response_id)
    return Response(status_code=204)


@router.post("/expressions/check")
async def check(data: ExpressionCheck, _admin: Admin) -> ExpressionVerdict:
    """Called as the admin types, so it answers 200 with a verdict rather than an error."""
    return check_expression(data.expression)
