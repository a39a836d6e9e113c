"""Meta's webhook: the verification handshake, signatures, durable storage before the 200,
duplicates, every inbound type kept, media fetched through the Graph API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from atende.auth.models import Role
from atende.conversations.models import Contact, Conversation, InboundEvent, MediaFile, Message
from atende.messaging.hub import MessagingHub
from tests.conftest import make_token
from tests.fakes.graph_api import FakeGraphAPI
from tests.messaging import meta_payloads as meta
from tests.messaging.conftest import drain, post_meta


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def all_rows(app: FastAPI, model: Any) -> list[Any]:
    async with app.state.runtime.sessions() as session:
        return list((await session.scalars(select(model))).all())


async def test_verification_handshake_echoes_the_challenge(client: httpx.AsyncClient) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": meta.VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = await client.get("/webhooks/whatsapp", params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"


async def test_verification_with_a_wrong_token_is_refused(client: httpx.AsyncClient) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    response = await client.get("/webhooks/whatsapp", params=params)
    assert response.status_code == 403


async def test_forged_signature_is_refused_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await post_meta(client, meta.text("wamid.A1", "Oi"), secret="not-the-secret")
    assert response.status_code == 403
    unsigned = await client.post("/webhooks/whatsapp", content=meta.encode(meta.text("w", "x")))
    assert unsigned.status_code == 403
    assert await count(app, InboundEvent) == 0


async def test_a_signed_body_that_is_not_a_whatsapp_webhook_is_a_400(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await post_meta(client, {"object": "page", "entry": []})
    assert response.status_code == 400
    assert await count(app, InboundEvent) == 0


async def test_event_is_stored_before_the_200_and_processed_after(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub
) -> None:
    response = await post_meta(client, meta.text("wamid.A1", "Oi, quero um seguro"))
    assert response.status_code == 200
    events = await all_rows(app, InboundEvent)
    assert [(e.key, e.state) for e in events] == [("meta:message:wamid.A1", "pending")]
    assert await count(app, Message) == 0

    await hub.inbound.process_pending()

    [message] = [m for m in await all_rows(app, Message) if m.direction == "inbound"]
    assert (message.direction, message.type, message.text) == (
        "inbound",
        "text",
        "Oi, quero um seguro",
    )
    assert message.provider_id == "wamid.A1"
    [contact] = await all_rows(app, Contact)
    assert contact.phone == meta.CUSTOMER_E164
    assert contact.whatsapp_user_id == "BR.1502576394655843"
    assert contact.name == meta.CUSTOMER_NAME
    [conversation] = await all_rows(app, Conversation)
    assert len(conversation.protocol) == 14 and conversation.protocol.isdigit()
    assert conversation.channel == "whatsapp"
    assert conversation.business_address == meta.PHONE_NUMBER_ID


async def test_duplicates_change_nothing(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    document = meta.text("wamid.D1", "Oi")
    for _ in range(3):
        assert (await post_meta(client, document)).status_code == 200
    await drain(hub)
    sent_after_first = len(graph.sent)
    assert (await post_meta(client, document)).status_code == 200
    await drain(hub)
    assert await count(app, InboundEvent) == 1
    assert await count(app, Conversation) == 1
    inbound = [m for m in await all_rows(app, Message) if m.direction == "inbound"]
    assert len(inbound) == 1
    assert len(graph.sent) == sent_after_first


def _every_type(graph: FakeGraphAPI) -> list[tuple[dict[str, Any], str, str | None]]:
    sha = graph.add_media("MEDIA1", b"\x89PNG fake picture", "image/png")
    return [
        (meta.text("wamid.T1", "Olá"), "text", "Olá"),
        (
            meta.media("wamid.T2", "image", "MEDIA1", "image/png", sha, caption="Meu carro"),
            "image",
            "Meu carro",
        ),
        (meta.media("wamid.T3", "audio", "MEDIA1", "audio/ogg", sha, voice=True), "audio", None),
        (meta.media("wamid.T4", "video", "MEDIA1", "video/mp4", sha), "video", None),
        (
            meta.media(
                "wamid.T5", "document", "MEDIA1", "application/pdf", sha, filename="apolice.pdf"
            ),
            "document",
            None,
        ),
        (
            meta.media("wamid.T6", "sticker", "MEDIA1", "image/webp", sha, animated=False),
            "sticker",
            None,
        ),
        (meta.location("wamid.T7"), "location", "Avenida Paulista, Av. Paulista, 1578 - São Paulo"),
        (meta.contacts("wamid.T8"), "contacts", "João Lima +55 11 91234-5678"),
        (
            meta.button_reply("wamid.T9", "cotacao_auto", "Seguro auto"),
            "interactive",
            "Seguro auto",
        ),
        (meta.list_reply("wamid.T10", "sinistro", "Sinistro"), "interactive", "Sinistro"),
        (meta.template_button("wamid.T11", "renovar", "Quero renovar"), "button", "Quero renovar"),
        (meta.reaction("wamid.T12", "wamid.T1", "👍"), "reaction", "👍"),
        (meta.unsupported("wamid.T13"), "unsupported", None),
    ]


async def test_every_inbound_type_is_kept(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    cases = _every_type(graph)
    for document, _, _ in cases:
        assert (await post_meta(client, document)).status_code == 200
    await drain(hub)
    inbound = {m.provider_id: m for m in await all_rows(app, Message) if m.direction == "inbound"}
    assert len(inbound) == len(cases)
    for document, kind, text in cases:
        wamid = document["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        assert (inbound[wamid].type, inbound[wamid].text) == (kind, text), wamid
    assert inbound["wamid.T7"].content["latitude"] == pytest.approx(-23.5613)
    assert inbound["wamid.T9"].content == {
        "kind": "button_reply",
        "id": "cotacao_auto",
        "title": "Seguro auto",
    }
    assert inbound["wamid.T9"].reply_to == "wamid.X"
    assert inbound["wamid.T11"].content["payload"] == "renovar"
    assert inbound["wamid.T12"].content["message_id"] == "wamid.T1"
    assert inbound["wamid.T13"].content["errors"][0]["code"] == 131051
    assert inbound["wamid.T5"].content["filename"] == "apolice.pdf"


async def test_media_is_fetched_through_the_graph_api_and_served_to_the_desk(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    picture = b"\x89PNG the customer's car"
    sha = graph.add_media("MEDIA42", picture, "image/png")
    document = meta.media("wamid.M1", "image", "MEDIA42", "image/png", sha, caption="Batida")
    assert (await post_meta(client, document)).status_code == 200
    await drain(hub)

    [media] = await all_rows(app, MediaFile)
    assert (media.status, media.size, media.sha256) == ("stored", len(picture), sha)
    assert graph.downloads == ["MEDIA42"]
    token = await make_token(app, Role.SUPERVISOR)
    response = await client.get(
        f"/api/media/{media.sid}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.content == picture
    assert response.headers["content-type"] == "image/png"


async def test_media_whose_download_fails_is_retried_then_given_up(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub
) -> None:
    document = meta.media("wamid.M2", "image", "GONE", "image/png", "0" * 64)
    assert (await post_meta(client, document)).status_code == 200
    await drain(hub)
    [media] = await all_rows(app, MediaFile)
    assert media.status == "failed"
    assert media.last_error is not None and "100" in media.last_error


async def test_customer_with_a_withheld_number_is_known_by_user_id(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub, graph: FakeGraphAPI
) -> None:
    document = meta.text("wamid.U1", "Oi", wa_id=None, user_id="BR.777")
    assert (await post_meta(client, document)).status_code == 200
    await drain(hub)
    [contact] = await all_rows(app, Contact)
    assert (contact.phone, contact.whatsapp_user_id) == (None, "BR.777")
    [conversation] = await all_rows(app, Conversation)
    assert conversation.customer_address == "BR.777"
    assert graph.sent, "the bot answers"
    assert graph.sent[0].body.get("recipient") == "BR.777"
    assert "to" not in graph.sent[0].body

    # Later the customer's phone shows up: the same contact learns it.
    document = meta.text("wamid.U2", "Meu número", wa_id=meta.CUSTOMER_WA_ID, user_id="BR.777")
    assert (await post_meta(client, document)).status_code == 200
    await drain(hub)
    [contact] = await all_rows(app, Contact)
    assert contact.phone == meta.CUSTOMER_E164


async def test_a_customer_who_hides_their_number_mid_conversation_stays_the_same(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub
) -> None:
    document = meta.text("wamid.H1", "Oi", wa_id=meta.CUSTOMER_WA_ID, user_id=None)
    assert (await post_meta(client, document)).status_code == 200
    await drain(hub)
    document = meta.text("wamid.H2", "Tudo bem?", user_id="BR.999")
    assert (await post_meta(client, document)).status_code == 200
    await drain(hub)
    # The customer adopts a username: the phone is no longer sent, only the user_id.
    document = meta.text("wamid.H3", "Ainda sou eu", wa_id=None, user_id="BR.999")
    assert (await post_meta(client, document)).status_code == 200
    await drain(hub)
    [contact] = await all_rows(app, Contact)
    assert (contact.phone, contact.whatsapp_user_id) == (meta.CUSTOMER_E164, "BR.999")
    [conversation] = await all_rows(app, Conversation)
    assert conversation.customer_address == meta.CUSTOMER_E164, "replies still go to the phone"
    inbound = [m for m in await all_rows(app, Message) if m.direction == "inbound"]
    assert {m.conversation_sid for m in inbound} == {conversation.sid}
    assert len(inbound) == 3


async def test_an_item_that_cannot_be_processed_is_set_aside_and_the_rest_go_on(
    app: FastAPI, client: httpx.AsyncClient, hub: MessagingHub
) -> None:
    async with app.state.runtime.sessions() as session:
        session.add(
            InboundEvent(
                provider="meta", key="meta:message:broken", kind="message", payload={"x": 1}
            )
        )
        await session.commit()
    assert (await post_meta(client, meta.text("wamid.OK", "Oi"))).status_code == 200
    await drain(hub)
    states = {event.key: (event.state, event.error) for event in await all_rows(app, InboundEvent)}
    assert states["meta:message:broken"][0] == "failed"
    assert "KeyError" in (states["meta:message:broken"][1] or "")
    assert states["meta:message:wamid.OK"] == ("done", None)
    assert [m.provider_id for m in await all_rows(app, Message) if m.direction == "inbound"] == [
        "wamid.OK"
    ]
