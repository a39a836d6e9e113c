"""Voice channels as the admin screen adds and edits them: only administrators may, the
company number must be a real E.164 number (one channel per number), and the Twilio
secrets go in but never come back out."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from atende.voice.repository import VoiceRepository
from tests.desk.admin_only import OpenBrowser, assert_others_may_not_add_edit_or_list
from tests.desk.contact_center import ContactCenter

TOKEN = "token-secreto-da-twilio"
SECRET = "segredo-da-chave-de-api"


def new_channel(center: ContactCenter, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Vendas Auto",
        "phone_number": "+551130030000",
        "account_sid": "AC" + "b" * 32,
        "auth_token": TOKEN,
        "workflow_sid": center.workflow_sid,
        "language": "pt-BR",
        "record_calls": True,
        "api_key_sid": "SK" + "c" * 32,
        "api_key_secret": SECRET,
        "twiml_app_sid": "AP" + "d" * 32,
        **changes,
    }


async def stored_token(app: FastAPI, sid: str) -> str:
    async with app.state.runtime.sessions() as session:
        channel = await VoiceRepository(session).channel(sid)
        assert channel is not None
        return channel.auth_token


async def test_only_administrators_add_or_edit_voice_channels(
    center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        created = await admin.post("/api/voice/channels", json=new_channel(center))
        assert created.status_code == 201, created.text
        sid = created.json()["sid"]
    await assert_others_may_not_add_edit_or_list(
        browser, "/api/voice/channels", new_channel(center, phone_number="+551140050000"), sid
    )


async def test_the_token_and_key_secret_go_in_but_never_come_back(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        created = await admin.post("/api/voice/channels", json=new_channel(center))
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["workspace_sid"] == center.workspace_sid
        assert TOKEN not in created.text and SECRET not in created.text
        assert "auth_token" not in body and "api_key_secret" not in body

        replaced = await admin.patch(
            f"/api/voice/channels/{body['sid']}",
            json={"name": "Vendas Auto SP", "auth_token": "novo-token-da-twilio"},
        )
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["name"] == "Vendas Auto SP"
        assert "novo-token-da-twilio" not in replaced.text
        assert await stored_token(app, body["sid"]) == "novo-token-da-twilio"

        listed = await admin.get("/api/voice/channels")
        assert listed.status_code == 200
        assert TOKEN not in listed.text and SECRET not in listed.text
        assert "novo-token-da-twilio" not in listed.text


async def test_bad_numbers_sids_and_duplicates_are_refused_naming_the_field(
    center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        for number in ("11 3003-0000", "+55113003", "telefone"):
            refused = await admin.post(
                "/api/voice/channels", json=new_channel(center, phone_number=number)
            )
            assert refused.status_code == 422, number
            assert refused.json()["detail"].startswith("phone_number: "), refused.text
        short = await admin.post(
            "/api/voice/channels", json=new_channel(center, account_sid="AC123")
        )
        assert short.status_code == 422
        assert short.json()["detail"].startswith("account_sid: ")

        spaced = await admin.post(
            "/api/voice/channels", json=new_channel(center, phone_number="+55 11 3003-0000")
        )
        assert spaced.status_code == 201, spaced.text
        assert spaced.json()["phone_number"] == "+551130030000"
        again = await admin.post("/api/voice/channels", json=new_channel(center))
        assert again.status_code == 409
        assert again.json()["detail"].startswith("phone_number: ")

        sid = spaced.json()["sid"]
        nulled = await admin.patch(f"/api/voice/channels/{sid}", json={"name": None})
        assert nulled.status_code == 422
        assert "name: may not be null" in nulled.json()["detail"]
        empty = await admin.patch(f"/api/voice/channels/{sid}", json={})
        assert (empty.status_code, empty.json()["detail"]) == (422, "give at least one field")
        kept = await admin.get("/api/voice/channels")
        assert "Vendas Auto" in {channel["name"] for channel in kept.json()}


async def test_the_softphone_key_and_app_can_be_changed_and_the_secret_stays_hidden(
    app: FastAPI, center: ContactCenter, browser: OpenBrowser
) -> None:
    async with browser("admin", "/admin") as admin:
        created = await admin.post(
            "/api/voice/channels",
            json=new_channel(center, api_key_sid=None, api_key_secret=None, twiml_app_sid=None),
        )
        assert created.status_code == 201, created.text
        assert created.json()["api_key_secret_set"] is False
        sid = created.json()["sid"]
        changed = await admin.patch(
            f"/api/voice/channels/{sid}",
            json={
                "api_key_sid": "SK" + "e" * 32,
                "api_key_secret": "segredo-novo-da-chave",
                "twiml_app_sid": "AP" + "f" * 32,
            },
        )
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert (body["api_key_sid"], body["twiml_app_sid"]) == ("SK" + "e" * 32, "AP" + "f" * 32)
        assert body["api_key_secret_set"] is True
        assert "segredo-novo-da-chave" not in changed.text
    async with app.state.runtime.sessions() as session:
        channel = await VoiceRepository(session).channel(sid)
        assert channel is not None and channel.api_key_secret == "segredo-novo-da-chave"
