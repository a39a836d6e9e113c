"""Business hours set in /admin: checked, saved, and what the phone flow's out-of-hours check
answers from then on, with the company's closures (holidays of its own) counted too."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from atende.auth.models import Role
from tests.conftest import make_token
from tests.voice.carrier import Carrier
from tests.voice.conftest import ContactCenter, carrier, center, settings, twilio

__all__ = ["carrier", "center", "settings", "twilio"]

# tests.voice.conftest's clock: Monday 23 November 2026, 10:00 in São Paulo.
MONDAY = "2026-11-23"
PATH = "/api/desk/admin/business-hours"


def week(**changes: dict[str, Any]) -> dict[str, Any]:
    """Monday to Saturday 08:00-20:00, with some weekdays changed (`d0` is Monday)."""
    days = [
        {"weekday": day, "open": day < 6, "opens": "08:00", "closes": "20:00"} for day in range(7)
    ]
    for key, change in changes.items():
        days[int(key[1:])].update(change)
    return {"days": days}


def opened(weekday: int, opens: str, closes: str) -> dict[str, Any]:
    return {"weekday": weekday, "open": True, "opens": opens, "closes": closes}


async def admin(app: FastAPI) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_token(app, Role.ADMIN)}"}


async def answers_in_hours(carrier: Carrier) -> bool:
    """Whether a caller reaches the SAC menu (in hours) or the out-of-hours choices."""
    caller = await carrier.dial_in()
    said = " ".join(caller.said())
    await caller.hang_up()
    return "Reclamação" in said


async def test_hours_saved_in_admin_decide_at_once_whether_a_caller_is_in_hours(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    headers = await admin(center.app)
    shown = (await client.get(PATH, headers=headers)).json()
    assert shown["configured"] is False and shown["open_now"] is None
    assert shown["timezone"] == "America/Sao_Paulo"
    assert shown["days"][0] == {
        "weekday": 0,
        "open": True,
        "opens": "08:00:00",
        "closes": "20:00:00",
    }
    assert shown["days"][6]["open"] is False
    assert await answers_in_hours(carrier)

    saved = await client.put(PATH, json=week(d0={"open": False}), headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["configured"] is True and saved.json()["days"][0]["open"] is False
    assert isinstance(saved.json()["open_now"], bool)
    assert not await answers_in_hours(carrier)

    later = await client.put(
        PATH, json=week(d0={"open": True, "opens": "10:30", "closes": "18:00"}), headers=headers
    )
    assert later.status_code == 200
    assert not await answers_in_hours(carrier)  # 10:00 is before 10:30

    await client.put(PATH, json=week(d0={"opens": "09:00", "closes": "00:00"}), headers=headers)
    assert await answers_in_hours(carrier)  # open until midnight
    again = (await client.get(PATH, headers=headers)).json()
    assert again["days"][0] == {
        "weekday": 0,
        "open": True,
        "opens": "09:00:00",
        "closes": "00:00:00",
    }


async def test_a_company_closure_closes_the_phone_line_that_day(
    center: ContactCenter, carrier: Carrier, client: httpx.AsyncClient
) -> None:
    headers = await admin(center.app)
    await client.put(PATH, json=week(), headers=headers)
    assert await answers_in_hours(carrier)
    closure = {"day": MONDAY, "reason": "Confraternização da corretora"}
    added = await client.post("/api/ops/closures", json=closure, headers=headers)
    assert added.status_code == 201, added.text
    await client.get(PATH, headers=headers)  # the admin page re-reads; every node within 10 s
    assert not await answers_in_hours(carrier)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (week(d2={"opens": "18:00", "closes": "08:00"}), "days[2] (Wednesday): closes at 08:00"),
        (week(d4={"opens": "09:00", "closes": "09:00"}), "not after it opens at 09:00"),
        (week(d1={"opens": None}), "days[1] (Tuesday): an open day needs both times"),
        (week(d3={"weekday": 1}), "each weekday 0..6 exactly once"),
    ],
)
async def test_hours_that_make_no_sense_are_refused_naming_the_day(
    center: ContactCenter,
    client: httpx.AsyncClient,
    body: dict[str, Any],
    words: str,
) -> None:
    headers = await admin(center.app)
    refused = await client.put(PATH, json=body, headers=headers)
    assert refused.status_code == 422
    assert words in refused.json()["detail"]
    assert (await client.get(PATH, headers=headers)).json()["configured"] is False


async def test_malformed_hours_and_other_roles_are_refused(
    center: ContactCenter, client: httpx.AsyncClient
) -> None:
    headers = await admin(center.app)
    six = {"days": week()["days"][:6]}
    assert (await client.put(PATH, json=six, headers=headers)).status_code == 422
    bad_time = week(d0={"opens": "25:00"})
    assert (await client.put(PATH, json=bad_time, headers=headers)).status_code == 422
    supervisor = {"Authorization": f"Bearer {await make_token(center.app, Role.SUPERVISOR)}"}
    assert (await client.get(PATH, headers=supervisor)).status_code == 403
    assert (await client.put(PATH, json=week(), headers=supervisor)).status_code == 403
