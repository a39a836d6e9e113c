"""The web chat over its WebSocket, as the widget speaks it: a visitor starts a chat, gets a
protocol number, answers the bot's buttons, is routed, hears the agent, and comes back to the
same conversation with the token their browser kept."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from atende.auth.models import Role
from atende.messaging.hub import MessagingHub
from tests.conftest import LiveServer, make_token
from tests.messaging.routing_fakes import WORKFLOW, RecordingGateway

TIMEOUT = 10.0


def ws_url(server: LiveServer) -> str:
    return server.url.replace("http://", "ws://") + "/webchat/ws"


class Chat:
    """A widget's socket: frames may come in any order, so an expected frame is looked for
    among those not yet consumed before waiting for more."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.backlog: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(frame))

    async def expect(self, kind: str, **match: Any) -> dict[str, Any]:
        def fits(frame: dict[str, Any]) -> bool:
            return frame["type"] == kind and all(frame.get(k) == v for k, v in match.items())

        while True:
            for index, frame in enumerate(self.backlog):
                if fits(frame):
                    return self.backlog.pop(index)
            raw = await asyncio.wait_for(self.connection.recv(), TIMEOUT)
            self.backlog.append(json.loads(raw))

    async def message(self, **match: Any) -> dict[str, Any]:
        def fits(frame: dict[str, Any]) -> bool:
            message = frame.get("message") or {}
            return frame["type"] == "message" and all(message.get(k) == v for k, v in match.items())

        while True:
            for index, frame in enumerate(self.backlog):
                if fits(frame):
                    found: dict[str, Any] = self.backlog.pop(index)["message"]
                    return found
            raw = await asyncio.wait_for(self.connection.recv(), TIMEOUT)
            self.backlog.append(json.loads(raw))


@pytest.fixture
def gateway(messaging_server: LiveServer) -> RecordingGateway:
    hub: MessagingHub = messaging_server.app.state.runtime.services["messaging"]
    recording = RecordingGateway()
    hub.router.gateway = recording
    hub.router.default_workflow_sid = WORKFLOW
    return recording


async def start_chat(server: LiveServer) -> tuple[Chat, str, dict[str, Any]]:
    chat = Chat(await websockets.connect(ws_url(server)))
    await chat.send({"type": "hello"})
    welcome = await chat.expect("welcome")
    await chat.expect("idle")
    await chat.send({"type": "start"})
    conversation = await chat.expect("conversation")
    return chat, welcome["token"], conversation


async def test_a_visitor_starts_a_chat_and_gets_a_protocol_and_the_menu(
    messaging_server: LiveServer, gateway: RecordingGateway
) -> None:
    chat, _token, conversation = await start_chat(messaging_server)
    async with chat.connection:
        assert len(conversation["protocol"]) == 14
        greeting = await chat.message(author="bot", type="text")
        assert conversation["protocol"] in greeting["text"]
        menu = await chat.message(author="bot", type="interactive")
        ids = [option["id"] for option in menu["options"]]
        assert "cancelamento" in ids and "reclamacao" in ids
        assert "author_sid" not in menu

        await chat.send(
            {"type": "message", "id": "c1", "choice": {"id": "sinistro", "title": "Sinistro"}}
        )
        mine = await chat.message(author="customer")
        assert mine["text"] == "Sinistro"
        await chat.expect("ack", id="c1")
        state = await chat.expect("state")
        assert state["state"] == "queued"
    [task] = gateway.tasks
    assert task.task_channel == "webchat"
    assert task.attributes["motivo"] == "sinistro"
    assert task.attributes["protocol"] == conversation["protocol"]


async def test_the_agent_reply_reaches_the_visitor_and_a_reload_resumes(
    messaging_server: LiveServer, gateway: RecordingGateway
) -> None:
    chat, token, conversation = await start_chat(messaging_server)
    async with chat.connection:
        await chat.message(type="interactive")
        await chat.send({"type": "message", "id": "c1", "text": "Reclamação"})
        await chat.expect("state", state="queued")
        hub: MessagingHub = messaging_server.app.state.runtime.services["messaging"]
        worker = "WK" + "d" * 32
        messaging_server.call(_accept(hub, gateway.tasks[-1].sid, worker))
        await chat.expect("state", state="assigned")
        token_header = await asyncio.to_thread(
            messaging_server.call, make_token(messaging_server.app, Role.SUPERVISOR)
        )
        async with httpx.AsyncClient(base_url=messaging_server.url) as http:
            response = await http.post(
                f"/api/conversations/{conversation['sid']}/messages",
                json={"text": "Olá! Sou a Ana e vou cuidar da sua reclamação."},
                headers={"Authorization": f"Bearer {token_header}"},
            )
            assert response.status_code == 202, response.text
        reply = await chat.message(author="agent")
        assert reply["text"] == "Olá! Sou a Ana e vou cuidar da sua reclamação."

    # The page reloads: same token, same conversation, the whole history again.
    async with websockets.connect(ws_url(messaging_server)) as connection:
        again = Chat(connection)
        await again.send({"type": "hello", "token": token})
        assert (await again.expect("welcome"))["token"] == token
        resumed = await again.expect("conversation")
        assert (resumed["sid"], resumed["protocol"]) == (
            conversation["sid"],
            conversation["protocol"],
        )
        history = [(await again.message())["text"] for _ in range(5)]
        assert history[0] is not None and conversation["protocol"] in history[0]
        assert history[2:] == [
            "Reclamação",
            "Aguarde, você será atendido em instantes.",
            "Olá! Sou a Ana e vou cuidar da sua reclamação.",
        ]
        await again.send({"type": "message", "id": "c2", "text": "Obrigado"})
        assert (await again.message(author="customer", text="Obrigado"))["status"] == "received"


async def _accept(hub: MessagingHub, task_sid: str, worker_sid: str) -> None:
    async with hub.runtime.sessions() as session:
        await hub.router.accepted(session, task_sid, worker_sid)
        await session.commit()


async def test_a_resent_message_is_kept_once(
    messaging_server: LiveServer, gateway: RecordingGateway
) -> None:
    chat, _token, conversation = await start_chat(messaging_server)
    async with chat.connection:
        await chat.message(type="interactive")
        for _ in range(2):
            await chat.send({"type": "message", "id": "same", "text": "Oi"})
            await chat.expect("ack", id="same")
    supervisor = await asyncio.to_thread(
        messaging_server.call, make_token(messaging_server.app, Role.SUPERVISOR)
    )
    async with httpx.AsyncClient(base_url=messaging_server.url) as http:
        response = await http.get(
            f"/api/conversations/{conversation['sid']}/messages",
            headers={"Authorization": f"Bearer {supervisor}"},
        )
    customer = [m for m in response.json()["messages"] if m["author"] == "customer"]
    assert [m["text"] for m in customer] == ["Oi"]


async def test_a_forged_token_gets_a_new_visitor_not_someone_elses_chat(
    messaging_server: LiveServer, gateway: RecordingGateway
) -> None:
    chat, token, _conversation = await start_chat(messaging_server)
    await chat.connection.close()
    visitor = token.split(".")[0]
    async with websockets.connect(ws_url(messaging_server)) as connection:
        intruder = Chat(connection)
        await intruder.send({"type": "hello", "token": f"{visitor}.{'0' * 32}"})
        welcome = await intruder.expect("welcome")
        assert not welcome["token"].startswith(visitor)
        await intruder.expect("idle")


async def test_the_widget_script_is_served(messaging_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=messaging_server.url) as http:
        response = await http.get("/webchat/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "/webchat/ws" in response.text
