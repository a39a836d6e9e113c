"""What escalation notifications say, in pt-BR, with times in the company's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from atende.ops.models import EscalationLevel, Incident
from atende.ops.severity import Severity
from atende.ops.sla import SlaStatus

STATE_LABELS = {
    "running": "em andamento",
    "paused": "pausado",
    "met": "cumprido",
    "breached": "estourado",
}


def local_time(instant: datetime | None, zone: str) -> str:
    if instant is None:
        return "—"
    return instant.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")


def escalation_email(
    incident: Incident,
    level: EscalationLevel,
    sla: SlaStatus,
    *,
    zone: str,
    incident_url: str,
    ack_url: str,
) -> tuple[str, str]:
    severity = Severity(incident.severity).label
    subject = f"[Atende] Escalonamento nível {level.position} ({level.name}): {incident.title}"
    lines = [
        f"O incidente {incident.sid} foi escalonado para o nível {level.position}: {level.name}.",
        "",
        f"Título: {incident.title}",
        f"Severidade: {severity}" + (" (parada total)" if incident.total_outage else ""),
        f"Componente: {incident.component or '—'}",
        f"Aberto em: {local_time(incident.opened_at, zone)}",
        f"Início do atendimento até: {local_time(sla.response.due_at, zone)} "
        f"({STATE_LABELS[sla.response.state.value]})",
        f"Restabelecimento até: {local_time(sla.restoration.due_at, zone)} "
        f"({STATE_LABELS[sla.restoration.state.value]})",
        "",
        f"Detalhes: {incident_url}",
        f"Confirmar recebimento: {ack_url}",
    ]
    return subject, "\n".join(lines)


def escalation_payload(
    incident: Incident, level: EscalationLevel, sla: SlaStatus
) -> dict[str, Any]:
    return {
        "event": "incident.escalated",
        "incident": {
            "sid": incident.sid,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "component": incident.component,
            "total_outage": incident.total_outage,
            "opened_at": incident.opened_at.isoformat(),
        },
        "level": {"position": level.position, "name": level.name},
        "sla": {
            "calendar": sla.calendar,
            "response_due_at": _iso(sla.response.due_at),
            "response_state": sla.response.state.value,
            "restore_due_at": _iso(sla.restoration.due_at),
            "restoration_state": sla.restoration.state.value,
        },
    }


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()
