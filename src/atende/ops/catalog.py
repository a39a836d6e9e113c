"""The system's catalog entry (what /about shows): Atende's own defaults, overridable by a JSON
file named in `ATENDE_ABOUT_FILE`, so the page follows configuration rather than code."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field


class Person(BaseModel):
    name: str
    role: str = ""
    email: str = ""


class TeamUse(BaseModel):
    team: str
    purpose: str


class SupportChannel(BaseModel):
    name: str
    detail: str


class Catalog(BaseModel):
    name: str = "Atende"
    description: str = (
        "Central de atendimento da corretora: ligações e conversas de WhatsApp chegam ao "
        "agente certo, que as atende na mesa do agente; supervisores acompanham filas e "
        "agentes; o time de sistemas acompanha incidentes com o fornecedor de suporte."
    )
    owners: list[Person] = Field(
        default_factory=lambda: [Person(name="Time de Sistemas de Negócio", role="Responsável")]
    )
    teams: list[TeamUse] = Field(
        default_factory=lambda: [
            TeamUse(team="Vendas", purpose="Cotações de seguro auto, residencial e vida"),
            TeamUse(
                team="Relacionamento", purpose="Apólices, renovações e orientação de sinistros"
            ),
            TeamUse(team="Retenção", purpose="Cancelamentos"),
            TeamUse(team="Ouvidoria", purpose="Reclamações"),
            TeamUse(team="Supervisão", purpose="Acompanhamento de filas e agentes"),
        ]
    )
    support_channels: list[SupportChannel] = Field(
        default_factory=lambda: [
            SupportChannel(
                name="Incidentes", detail="Registre em /api/incidents ou na mesa do agente"
            ),
        ]
    )


def load_catalog(path: str | None) -> Catalog:
    if not path:
        return Catalog()
    return Catalog.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
