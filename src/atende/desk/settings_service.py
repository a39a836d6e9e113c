"""What administrators configure for the desk: wrap-up codes and ready-made replies."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from atende.desk.models import CannedResponse, Disposition
from atende.desk.repository import DeskRepository
from atende.desk.schemas import (
    CannedResponseIn,
    CannedResponsePatch,
    DispositionIn,
    DispositionPatch,
)
from atende.errors import Problem


def code_for(label: str) -> str:
    """'Cotação enviada' → 'cotacao_enviada': stable, ASCII, what reports group by."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")[:60]


class DeskSettingsService:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = DeskRepository(session)

    async def dispositions(self, *, include_inactive: bool = False) -> Sequence[Disposition]:
        return await self.repo.dispositions(include_inactive=include_inactive)

    async def add_disposition(self, data: DispositionIn) -> Disposition:
        code = data.code or code_for(data.label)
        if not code:
            raise Problem(422, "Invalid disposition", "label: needs at least one letter or digit")
        if await self.repo.disposition_by_code(code) is not None:
            raise Problem(409, "Conflict", f"code: a disposition with code {code!r} exists")
        existing = await self.repo.dispositions(include_inactive=True)
        row = Disposition(
            code=code,
            label=data.label,
            position=max((d.position for d in existing), default=-1) + 1,
            active=True,
        )
        self.repo.add(row)
        await self.repo.session.flush()
        return row

    async def change_disposition(self, disposition_id: int, data: DispositionPatch) -> Disposition:
        row = await self.repo.disposition(disposition_id)
        if row is None:
            raise Problem(404, "Not Found", f"no disposition {disposition_id}")
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(row, name, value)
        return row

    async def canned_responses(self, *, include_inactive: bool = False) -> Sequence[CannedResponse]:
        return await self.repo.canned_responses(include_inactive=include_inactive)

    async def add_canned_response(self, data: CannedResponseIn) -> CannedResponse:
        existing = await self.repo.canned_responses(include_inactive=True)
        row = CannedResponse(
            title=data.title,
            body=data.body,
            language=data.language,
            position=max((c.position for c in existing), default=-1) + 1,
            active=True,
        )
        self.repo.add(row)
        await self.repo.session.flush()
        return row

    async def change_canned_response(
        self, response_id: int, data: CannedResponsePatch
    ) -> CannedResponse:
        row = await self.repo.canned_response(response_id)
        if row is None:
            raise Problem(404, "Not Found", f"no canned response {response_id}")
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(row, name, value)
        return row

    async def remove_canned_response(self, response_id: int) -> None:
        row = await self.repo.canned_response(response_id)
        if row is None:
            raise Problem(404, "Not Found", f"no canned response {response_id}")
        await self.repo.delete(row)
