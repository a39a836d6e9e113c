"""The registry of approved WhatsApp templates: what may be sent outside the 24-hour window.

Templates are approved by Meta, not here; the registry records which ones exist (name,
language, body, components) and what their variables mean, so the desk can offer them in words
and refuse a send with the wrong number of values before Meta does."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atende.channels.whatsapp_cloud_payloads import body_parameters
from atende.conversations.models import WhatsAppTemplate
from atende.errors import Problem

PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


def placeholders(body: str) -> int:
    """How many distinct {{n}} a body uses (Meta numbers them from 1 without gaps)."""
    return len({int(number) for number in PLACEHOLDER.findall(body)})


def fill(body: str, values: Sequence[str]) -> str:
    """The text the customer will read, for the transcript and the desk."""
    return PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], body)


@dataclass(frozen=True, slots=True)
class PreparedTemplate:
    """A template send, ready for either provider: Meta's components or Twilio's ContentSid."""

    text: str
    content: dict[str, Any]


def template_view(template: WhatsAppTemplate) -> dict[str, Any]:
    return {
        "name": template.name,
        "language": template.language,
        "category": template.category,
        "body": template.body,
        "components": template.components,
        "variables": template.variables,
        "content_sid": template.content_sid,
    }


class TemplateRegistry:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def approved(self, language: str | None = None) -> Sequence[WhatsAppTemplate]:
        query = select(WhatsAppTemplate).where(WhatsAppTemplate.active.is_(True))
        if language is not None:
            query = query.where(WhatsAppTemplate.language == language)
        return (await self.session.scalars(query.order_by(WhatsAppTemplate.name))).all()

    async def get(self, name: str, language: str) -> WhatsAppTemplate | None:
        query = select(WhatsAppTemplate).where(
            WhatsAppTemplate.name == name, WhatsAppTemplate.language == language
        )
        return await self.session.scalar(query)

    async def register(
        self,
        *,
        name: str,
        language: str,
        body: str,
        variables: Sequence[str] = (),
        category: str = "UTILITY",
        components: Sequence[Mapping[str, Any]] = (),
        content_sid: str | None = None,
    ) -> WhatsAppTemplate:
        count = placeholders(body)
        if len(variables) != count:
            raise Problem(
                422,
                "Invalid template",
                f"variables: the body uses {count} placeholder(s) but {len(variables)} "
                "variable name(s) were given",
            )
        template = await self.get(name, language)
        if template is None:
            template = WhatsAppTemplate(name=name, language=language)
            self.session.add(template)
        template.body = body
        template.variables = list(variables)
        template.category = category
        template.components = [dict(component) for component in components]
        template.content_sid = content_sid
        template.active = True
        await self.session.flush()
        return template

    async def prepare(self, name: str, language: str, values: Sequence[str]) -> PreparedTemplate:
        template = await self.get(name, language)
        if template is None or not template.active:
            raise Problem(
                422,
                "Unknown template",
                f"template: no approved template {name!r} in {language!r}",
            )
        if len(values) != len(template.variables):
            names = ", ".join(template.variables) or "nenhuma"
            raise Problem(
                422,
                "Wrong template values",
                f"variables: {name!r} needs {len(template.variables)} value(s) ({names}), "
                f"{len(values)} given",
            )
        components = [dict(component) for component in template.components]
        if not any(component.get("type") == "body" for component in components):
            components += body_parameters(values)
        content: dict[str, Any] = {
            "name": template.name,
            "language": template.language,
            "components": components,
        }
        if template.content_sid:
            content["content_sid"] = template.content_sid
            content["content_variables"] = {str(i + 1): v for i, v in enumerate(values)}
        return PreparedTemplate(fill(template.body, values), content)
