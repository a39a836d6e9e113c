"""Severities of the support contract and the severity Atende proposes from an impact."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ALTA = "alta"
    MEDIA = "media"
    BAIXA = "baixa"

    @property
    def label(self) -> str:
        """The contract's own spelling, shown to people."""
        return _LABELS[self]


_LABELS = {Severity.ALTA: "ALTA", Severity.MEDIA: "MÉDIA", Severity.BAIXA: "BAIXA"}

ALTA_USERS_PCT = 10.0
"""ALTA when strictly more than this share of the users is affected."""


@dataclass(frozen=True)
class Impact:
    """What an incident does to the company, as far as the reporter knows it.

    `affected_users` is the head count when known; when only a share is known, any share above
    zero is taken as more than one user.
    """

    affected_users_pct: float = 0.0
    total_outage: bool = False
    emergency: bool = False
    affected_users: int | None = None
    partial_interruption: bool = False
    degraded: bool = False


@dataclass(frozen=True)
class SeverityProposal:
    severity: Severity
    reason: str


def propose_severity(impact: Impact) -> SeverityProposal:
    """The contract's rule: ALTA for >10% of users, a total stop or an emergency; MÉDIA for more
    than one user, a partial interruption or degraded quality; BAIXA otherwise."""
    if impact.total_outage:
        return SeverityProposal(Severity.ALTA, "parada total do sistema")
    if impact.emergency:
        return SeverityProposal(Severity.ALTA, "emergência")
    if impact.affected_users_pct > ALTA_USERS_PCT:
        share = f"{impact.affected_users_pct:g}%"
        return SeverityProposal(Severity.ALTA, f"mais de 10% dos usuários afetados ({share})")
    if impact.partial_interruption:
        return SeverityProposal(Severity.MEDIA, "interrupção parcial")
    if impact.degraded:
        return SeverityProposal(Severity.MEDIA, "qualidade ou desempenho degradados")
    if _more_than_one_user(impact):
        return SeverityProposal(Severity.MEDIA, "mais de um usuário afetado")
    return SeverityProposal(Severity.BAIXA, "sem efeito relevante sobre os usuários")


def _more_than_one_user(impact: Impact) -> bool:
    if impact.affected_users is not None:
        return impact.affected_users > 1
    return impact.affected_users_pct > 0
