"""WhatsApp Business numbers over HTTP (`/api/whatsapp/numbers`), for administrators only:
listed, added, changed and removed (deleted, or disabled when conversations name them).
Tokens go in and never come back out: answers carry only their last four characters."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from atende.deps import Admin, DbSession, RuntimeDep
from atende.messaging.models import WhatsAppNumber
from atende.messaging.schemas import (
    WhatsAppNumberIn,
    WhatsAppNumberOut,
    WhatsAppNumberPatch,
    WhatsAppNumberRemoval,
)
from atende.messaging.webhooks import hub_of
from atende.messaging.whatsapp_numbers import WhatsAppNumberService
from atende.patches import requested_changes

router = APIRouter(prefix="/api/whatsapp/numbers", tags=["whatsapp numbers"])


@router.get("", response_model=list[WhatsAppNumberOut])
async def list_numbers(_admin: Admin, session: DbSession) -> Sequence[WhatsAppNumber]:
    return await WhatsAppNumberService(session).repo.whatsapp_numbers()


@router.post("", response_model=WhatsAppNumberOut, status_code=201)
async def add_number(
    body: WhatsAppNumberIn, _admin: Admin, session: DbSession, runtime: RuntimeDep
) -> WhatsAppNumber:
    number = await WhatsAppNumberService(session).create(**body.model_dump())
    hub_of(runtime).numbers.forget()
    return number


@router.patch("/{sid}", response_model=WhatsAppNumberOut)
async def change_number(
    sid: str, body: WhatsAppNumberPatch, _admin: Admin, session: DbSession, runtime: RuntimeDep
) -> WhatsAppNumber:
    number = await WhatsAppNumberService(session).update(sid, **requested_changes(body))
    hub_of(runtime).numbers.forget()
    return number


@router.delete("/{sid}", response_model=WhatsAppNumberRemoval)
async def remove_number(
    sid: str, _admin: Admin, session: DbSession, runtime: RuntimeDep
) -> WhatsAppNumberRemoval:
    outcome = await WhatsAppNumberService(session).remove(sid)
    hub_of(runtime).numbers.forget()
    return WhatsAppNumberRemoval(sid=sid, outcome=outcome)
