"""An agent's capacity per channel, as the desk shows it: one call and three WhatsApp chats
at once (the demo company's voice 1, whatsapp 3), and no fourth chat while three are held."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import FastAPI

from tests.desk.conftest import Browser
from tests.desk.contact_center import ContactCenter, create_task, set_activity

OpenBrowser = Callable[..., AbstractAsyncContextManager[Browser]]


async def work(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/desk/agent")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["work"]
    return items


async def accept_offers(client: httpx.AsyncClient) -> None:
    for item in await work(client):
        if item["reservation_status"] == "pending":
            accepted = await client.post(f"/api/desk/reservations/{item['reservation_sid']}/accept")
            assert accepted.status_code == 204, accepted.text


async def test_an_agent_holds_a_call_and_three_chats_but_is_not_offered_a_fourth(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    await set_activity(app, center, "ana", "Disponível")
    async with browser("ana") as ana:
        call = await create_task(
            app, center, {"motivo": "cotacao_auto", "name": "Carla Voz"}, channel="voice"
        )
        chats = [
            await create_task(app, center, {"motivo": "cotacao_auto", "name": f"Cliente {n}"})
            for n in range(3)
        ]
        offered = {item["task_sid"]: item for item in await work(ana)}
        assert set(offered) == {call, *chats}
        await accept_offers(ana)

        fourth = await create_task(app, center, {"motivo": "cotacao_auto", "name": "Cliente 4"})
        held = await work(ana)
    assert {item["task_sid"] for item in held} == {call, *chats}
    assert all(item["reservation_status"] == "accepted" for item in held)
    channels = sorted(item["channel"] for item in held)
    assert channels == ["voice", "whatsapp", "whatsapp", "whatsapp"]
    assert fourth not in {item["task_sid"] for item in held}
