"""WhatsApp numbers as the admin screen adds, edits and removes them: only administrators may
(and only with the page's CSRF token), the number must be a real E.164 number and its
phone_number_id Meta's digits (one row per id, an existing workflow, a bot flow that runs and
keeps cancellation and complaint reachable), the access token goes in but only its last four
characters come back, and a number never used is deleted outright."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from atende.auth.models import Role
from atende.messaging.repository import MessagingRepository
from tests.conftest import make_token
from tests.desk.admin_only import OpenBrowser, assert_others_may_not_add_edit_or_list
from tests.desk.contact_center import ContactCenter
from tests.messaging.test_whatsapp_number_flows import sales_flow

TOKEN = "EAAG-token-de-sistema-vendas-9f3a"
NEW_TOKEN = "EAAG-token-novo-de-sistema-77c1"
NUMBERS = "/api/whatsapp/numbers"


def new_number(center: ContactCenter, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Vendas WhatsApp",
        "phone_number_id": "106540352242922",
        "display_phone_number": "+551130040000",
        "access_token": TOKEN,
        "workflow_sid": center.workflow_sid,
        **changes,
    }


async def stored_token(app: FastAPI, sid: str) -> str:
    async with app.state.runtime.sessions() as session:
        number = await MessagingRepository(session).whatsapp_number(sid)
        assert number is not None
        return number.access_token


async def test_only_administrators_add_list_or_edit_whatsapp_numbers(
    center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        created = await admin.post(NUMBERS, json=new_number(center))
        assert created.status_code == 201, created.text
        sid = created.json()["sid"]
        del admin.headers["X-CSRF-Token"]
        forged = await admin.patch(f"{NUMBERS}/{sid}", json={"name": "Sem CSRF"})
        assert forged.status_code == 403
        assert "CSRF" in forged.json()["detail"]
    await assert_others_may_not_add_edit_or_list(
        browser, NUMBERS, new_number(center, phone_number_id="20001"), sid
    )
    async with browser("admin", "/admin") as admin:
        listed = await admin.get(NUMBERS)
        assert [number["name"] for number in listed.json()] == ["Vendas WhatsApp"]


async def test_the_access_token_goes_in_and_only_its_last_four_come_back(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        created = await admin.post(NUMBERS, json=new_number(center))
        assert created.status_code == 201, created.text
        body = created.json()
        assert TOKEN not in created.text and "access_token" not in body
        assert body["access_token_last4"] == "9f3a"
        assert (body["enabled"], body["workflow_sid"]) == (True, center.workflow_sid)

        replaced = await admin.patch(
            f"{NUMBERS}/{body['sid']}",
            json={"access_token": NEW_TOKEN, "workflow_sid": None, "enabled": False},
        )
        assert replaced.status_code == 200, replaced.text
        assert NEW_TOKEN not in replaced.text
        changed = replaced.json()
        assert (changed["access_token_last4"], changed["workflow_sid"]) == ("77c1", None)
        assert changed["enabled"] is False
        assert await stored_token(app, body["sid"]) == NEW_TOKEN

        renamed = await admin.patch(f"{NUMBERS}/{body['sid']}", json={"name": "Vendas SP"})
        assert renamed.json()["name"] == "Vendas SP"
        assert await stored_token(app, body["sid"]) == NEW_TOKEN

        listed = await admin.get(NUMBERS)
        assert listed.status_code == 200
        assert TOKEN not in listed.text and NEW_TOKEN not in listed.text
        page = await admin.get("/admin")
        assert TOKEN not in page.text and NEW_TOKEN not in page.text


async def test_bad_numbers_ids_workflows_and_duplicates_are_refused_naming_the_field(
    center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        for number in ("11 3004-0000", "+55113004", "telefone"):
            refused = await admin.post(
                NUMBERS, json=new_number(center, display_phone_number=number)
            )
            assert refused.status_code == 422, number
            assert refused.json()["detail"].startswith("display_phone_number: "), refused.text
        for phone_number_id in ("abc123456", "12", "+5511300400"):
            refused = await admin.post(
                NUMBERS, json=new_number(center, phone_number_id=phone_number_id)
            )
            assert refused.status_code == 422, phone_number_id
            assert refused.json()["detail"].startswith("phone_number_id: "), refused.text
        unknown = await admin.post(NUMBERS, json=new_number(center, workflow_sid="WW" + "0" * 32))
        assert unknown.status_code == 422
        assert unknown.json()["detail"].startswith("workflow_sid: no workflow WW")

        spaced = await admin.post(
            NUMBERS, json=new_number(center, display_phone_number="+55 11 3004-0000")
        )
        assert spaced.status_code == 201, spaced.text
        assert spaced.json()["display_phone_number"] == "+551130040000"
        again = await admin.post(NUMBERS, json=new_number(center, name="Outro"))
        assert again.status_code == 409
        assert again.json()["detail"].startswith("phone_number_id: ")

        sid = spaced.json()["sid"]
        nulled = await admin.patch(f"{NUMBERS}/{sid}", json={"access_token": None})
        assert nulled.status_code == 422
        assert "access_token: may not be null" in nulled.json()["detail"]
        empty = await admin.patch(f"{NUMBERS}/{sid}", json={})
        assert (empty.status_code, empty.json()["detail"]) == (422, "give at least one field")
        bad_workflow = await admin.patch(f"{NUMBERS}/{sid}", json={"workflow_sid": "WWnope"})
        assert bad_workflow.status_code == 422
        assert bad_workflow.json()["detail"].startswith("workflow_sid: ")
        listed = await admin.get(NUMBERS)
        assert [n["workflow_sid"] for n in listed.json()] == [center.workflow_sid]


async def test_only_administrators_remove_a_number_and_one_never_used_is_deleted(
    app: FastAPI, client: httpx.AsyncClient, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        created = await admin.post(NUMBERS, json=new_number(center))
        assert created.status_code == 201, created.text
    sid = created.json()["sid"]
    one = f"{NUMBERS}/{sid}"

    assert (await client.delete(one)).status_code == 401
    for role in (Role.AGENT, Role.SUPERVISOR):
        bearer = {"Authorization": f"Bearer {await make_token(app, role)}"}
        assert (await client.delete(one, headers=bearer)).status_code == 403, role
    for user, page in (("ana", "/agent"), ("supervisora", "/supervisor")):
        async with browser(user, page) as other:
            assert (await other.delete(one)).status_code == 403, user
    async with browser("admin", "/admin") as admin:
        csrf = admin.headers.pop("X-CSRF-Token")
        forged = await admin.delete(one)
        assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
        assert [n["sid"] for n in (await admin.get(NUMBERS)).json()] == [sid]

        admin.headers["X-CSRF-Token"] = csrf
        removed = await admin.delete(one)
        assert removed.status_code == 200, removed.text
        assert removed.json() == {"sid": sid, "outcome": "deleted"}
        assert (await admin.get(NUMBERS)).json() == []
        again = await admin.delete(one)
        assert again.status_code == 404 and again.json()["detail"] == f"no WhatsApp number {sid}"
        # Gone for good: its phone_number_id may be registered anew.
        anew = await admin.post(NUMBERS, json=new_number(center))
        assert anew.status_code == 201, anew.text


async def test_a_numbers_bot_flow_is_checked_before_it_is_kept(
    center: ContactCenter, browser: OpenBrowser
) -> None:
    """A flow that cannot run, or that would hide cancellation or complaint (SAC), is refused
    naming what is wrong, and nothing is kept; only administrators set one."""
    no_start = {**sales_flow(), "start": "boas_vindas"}
    no_cancellation = sales_flow()
    no_cancellation["nodes"]["seguir"]["options"].pop(1)
    questions_only = sales_flow()
    questions_only["nodes"]["ano"]["next"] = "corretor"
    del questions_only["nodes"]["seguir"]
    refusals = [
        (no_start, "flow.start: no node named 'boas_vindas'"),
        (
            no_cancellation,
            "flow.nodes.seguir.options: the first menu must offer an option with intent "
            "'cancellation' (SAC)",
        ),
        (questions_only, "flow.nodes.placa: a chat flow that asks questions needs a menu"),
        ("não é um fluxo", "flow: "),
    ]
    async with browser("admin", "/admin") as admin:
        for flow, detail in refusals:
            refused = await admin.post(NUMBERS, json=new_number(center, flow=flow))
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"].startswith(detail), refused.text
        assert (await admin.get(NUMBERS)).json() == []

        created = await admin.post(NUMBERS, json=new_number(center, flow=sales_flow()))
        assert created.status_code == 201, created.text
        sid = created.json()["sid"]
        assert created.json()["flow"] == sales_flow()
        for flow, detail in refusals:
            refused = await admin.patch(f"{NUMBERS}/{sid}", json={"flow": flow, "name": "Outro"})
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"].startswith(detail), refused.text
        [kept] = (await admin.get(NUMBERS)).json()
        assert (kept["name"], kept["flow"]) == ("Vendas WhatsApp", sales_flow())

        del admin.headers["X-CSRF-Token"]
        forged = await admin.patch(f"{NUMBERS}/{sid}", json={"flow": None})
        assert forged.status_code == 403
    for user, page in (("ana", "/agent"), ("supervisora", "/supervisor")):
        async with browser(user, page) as other:
            changed = await other.patch(f"{NUMBERS}/{sid}", json={"flow": None})
            added = await other.post(
                NUMBERS, json=new_number(center, phone_number_id="20002", flow=sales_flow())
            )
            assert (changed.status_code, added.status_code) == (403, 403), user
    async with browser("admin", "/admin") as admin:
        [kept] = (await admin.get(NUMBERS)).json()
        assert kept["flow"] == sales_flow()
        cleared = await admin.patch(f"{NUMBERS}/{sid}", json={"flow": None})
        assert cleared.status_code == 200 and cleared.json()["flow"] is None
