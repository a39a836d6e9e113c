"""The system's page, generated from configuration."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.ops.conftest import ops_context


async def test_about_shows_the_sla_hours_and_next_holidays(http: httpx.AsyncClient) -> None:
    page = await http.get("/about")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Atende</h1>" in text
    assert "<td>ALTA</td>" in text and "<td>30 min</td>" in text
    assert "<td>24 h 00 min</td>" in text
    assert "De segunda a sexta, das 09:00 às 18:00 (America/Sao_Paulo)" in text
    # Seen from Monday 16 Nov 2026: Friday is Consciência Negra, then Christmas.
    assert "20/11/2026 — Dia Nacional de Zumbi e da Consciência Negra" in text
    assert "25/12/2026 — Natal" in text
    assert 'href="/access"' in text and 'href="/status"' in text
    assert "Coordenadores especialistas" in text and "ao atingir 50% do prazo" in text


async def test_contacts_are_shown_only_to_people_signed_in(
    http: httpx.AsyncClient, admin: dict[str, str], agent: dict[str, str]
) -> None:
    levels = [
        {
            "name": "Suporte",
            "contacts": [{"name": "Plantão", "phone": "+55 11 4000-0000", "email": "n1@c.example"}],
        }
    ]
    await http.put("/api/ops/escalation", json={"levels": levels}, headers=admin)
    anonymous = (await http.get("/about")).text
    assert "Plantão" in anonymous and "+55 11 4000-0000" not in anonymous
    signed_in = (await http.get("/about", headers=agent)).text
    assert "+55 11 4000-0000" in signed_in and "n1@c.example" in signed_in


async def test_catalog_comes_from_the_configured_file(
    ops_app: FastAPI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    catalog = tmp_path / "about.json"
    catalog.write_text(
        json.dumps(
            {
                "name": "Atende da Corretora",
                "owners": [{"name": "Marina Reis", "role": "Gerente de sistemas"}],
                "teams": [{"team": "Sinistros", "purpose": "Orientação de sinistros"}],
            }
        ),
        encoding="utf-8",
    )
    context = ops_context(ops_app)
    context.settings = dataclasses.replace(context.settings, about_file=str(catalog))
    text = (await http.get("/about")).text
    assert "<h1>Atende da Corretora</h1>" in text
    assert "Marina Reis (Gerente de sistemas)" in text
    assert "<td>Sinistros</td><td>Orientação de sinistros</td>" in text
