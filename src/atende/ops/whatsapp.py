"""Escalation by WhatsApp: an approved template, prepared by the messaging domain's registry
and sent through its Graph API connector.

The template (named by ATENDE_ESCALATION_WHATSAPP_TEMPLATE, e.g. `escalonamento_incidente` in
pt_BR) takes four body values: the incident's title, its severity, the level engaged and the
link to the incident. A contact of the escalation list has not written to the company's number,
so WhatsApp admits only an approved template. It is prepared when the level is engaged (an
unknown template or a wrong number of values is a failure to record now, not to retry), and
sent later by the notification delivery like the e-mails and webhooks."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from atende.channels.whatsapp_cloud import WhatsAppCloudConnector
from atende.channels.whatsapp_cloud_payloads import graph_payload
from atende.conversations.items import ProviderError
from atende.messaging.templates import TemplateRegistry
from atende.ops.models import EscalationLevel, Incident
from atende.ops.severity import Severity

NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class PreparedNotification:
    """`body` keeps the prepared template as JSON until delivery sends it."""

    recipient: str
    body: str


def whatsapp_address(phone: str) -> str | None:
    """'+55 (11) 99999-0000' → '+5511999990000'; None when there are too few digits to dial."""
    digits = NOT_DIGITS.sub("", phone)
    return f"+{digits}" if len(digits) >= 8 else None


def template_values(incident: Incident, level: EscalationLevel, link: str) -> list[str]:
    return [
        incident.title,
        Severity(incident.severity).label,
        f"{level.position} ({level.name})",
        link,
    ]


async def prepare(
    session: AsyncSession,
    template: tuple[str, str],
    incident: Incident,
    level: EscalationLevel,
    phone: str,
    link: str,
) -> PreparedNotification:
    """Raises Problem when the template is not approved or its variables do not match, and
    ValueError for a phone that cannot be dialled."""
    address = whatsapp_address(phone)
    if address is None:
        raise ValueError(f"telefone inválido para WhatsApp: {phone!r}")
    name, language = template
    prepared = await TemplateRegistry(session).prepare(
        name, language, template_values(incident, level, link)
    )
    return PreparedNotification(
        address, json.dumps({"text": prepared.text, "content": prepared.content})
    )


async def send(
    connector: WhatsAppCloudConnector, http: aiohttp.ClientSession, recipient: str, body: str
) -> str:
    """Send a prepared template; returns the wamid. Raises ProviderError as the connector does."""
    if not connector.phone_number_id:
        raise ProviderError("config", "WhatsApp não configurado (ATENDE_WHATSAPP_PHONE_NUMBER_ID)")
    document = json.loads(body)
    payload = graph_payload(recipient, "template", document["text"], document["content"])
    return await connector.send(http, payload, connector.phone_number_id)
