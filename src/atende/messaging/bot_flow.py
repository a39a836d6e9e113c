"""The chat bot's flow: the company's default chat flow plus the questions a chat can ask
before the agent (the car plate for an auto quote), so the agent starts with the answers."""

from __future__ import annotations

from typing import Any

from atende.flows.default import default_flow
from atende.messaging.bot import ChatFlow, load_chat_flow

PLATE_QUESTION = {
    "type": "question",
    "attribute": "placa",
    "kind": "text",
    "max_length": 10,
    "prompt": {
        "pt-BR": "Para a cotação do seguro auto, qual é a placa do carro?",
        "en": "For your car insurance quote, what is the car's licence plate?",
    },
}


def chat_flow_document() -> dict[str, Any]:
    document = default_flow("chat")
    nodes = document["nodes"]
    for node in list(nodes.values()):
        if node.get("type") != "menu":
            continue
        for option in node.get("options", []):
            if option.get("value") == "cotacao_auto":
                nodes["placa_auto"] = {**PLATE_QUESTION, "next": option["next"]}
                option["next"] = "placa_auto"
    return document


def chat_flow() -> ChatFlow:
    return load_chat_flow(chat_flow_document())
