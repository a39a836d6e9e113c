"""Flow documents are checked before they reach a customer, with errors that name the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from atende.flows.default import default_flow, load_default_flow
from atende.flows.loader import FlowError, first_menu, load_flow
from atende.flows.model import Menu


def _minimal() -> dict[str, Any]:
    return {
        "name": "t",
        "start": "menu",
        "nodes": {
            "menu": {
                "type": "menu",
                "attribute": "choice",
                "prompt": "Reclamação 1, cancelamento 2",
                "options": [
                    {
                        "key": "1",
                        "value": "rec",
                        "label": "Reclamação",
                        "intent": "complaint",
                        "next": "fila",
                    },
                    {
                        "key": "2",
                        "value": "can",
                        "label": "Cancelamento",
                        "intent": "cancellation",
                        "next": "fila",
                    },
                ],
                "on_failure": "fila",
            },
            "fila": {"type": "handoff"},
        },
    }


def test_default_flows_load_for_both_channels() -> None:
    for channel in ("voice", "chat"):
        flow = load_default_flow(channel, crm_lookup_url="https://crm.example/c?tel={from}")
        assert flow.start == "saudacao"


def test_default_voice_menu_offers_complaint_and_cancellation_first() -> None:
    found = first_menu(load_default_flow("voice"))
    assert found is not None
    name, menu = found
    assert name == "menu_principal"
    by_intent = {option.intent: option.key for option in menu.options if option.intent}
    assert by_intent == {"cancellation": "6", "complaint": "7", "agent": "0"}


def test_default_voice_flow_greets_with_protocol_then_recording_notice() -> None:
    flow = load_default_flow("voice")
    greeting = flow.node("saudacao")
    assert "{protocol_digits}" in greeting.text.by_language["pt-BR"]  # type: ignore[union-attr]
    assert greeting.next == "aviso_gravacao"  # type: ignore[union-attr]
    assert "gravada" in flow.node("aviso_gravacao").text.by_language["pt-BR"]  # type: ignore[union-attr]


def test_first_menu_without_complaint_is_refused() -> None:
    document = _minimal()
    document["nodes"]["menu"]["options"][0]["intent"] = None
    with pytest.raises(FlowError) as error:
        load_flow(document)
    assert error.value.path == "$.nodes.menu.options"
    assert "complaint" in error.value.message
    assert isinstance(load_flow(document, sac=False).node("menu"), Menu)


def test_asking_cpf_before_a_person_is_refused() -> None:
    document = _minimal()
    document["start"] = "pergunta"
    document["nodes"]["pergunta"] = {
        "type": "question",
        "prompt": "Digite seu CPF",
        "attribute": "documento_cliente",
        "kind": "digits",
        "next": "menu",
    }
    with pytest.raises(FlowError, match="CPF"):
        load_flow(document)


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.update(start="nada"), "$.start"),
        (
            lambda d: d["nodes"]["menu"]["options"][0].update(next="nada"),
            "$.nodes.menu.options[0].next",
        ),
        (lambda d: d["nodes"]["menu"]["options"][1].update(key="1"), "$.nodes.menu.options"),
        (
            lambda d: d["nodes"]["menu"]["options"][1].update(key="abc"),
            "$.nodes.menu.options[1].key",
        ),
        (lambda d: d["nodes"]["fila"].update(type="dance"), "$.nodes.fila.type"),
        (lambda d: d["nodes"]["menu"].update(prompt={"en": "only English"}), "$.nodes.menu.prompt"),
        (lambda d: d["nodes"]["menu"].update(retries=9), "$.nodes.menu.retries"),
        (
            lambda d: d["nodes"].update(
                x={
                    "type": "http_lookup",
                    "url": "https://crm",
                    "attribute": "crm",
                    "timeout": 30,
                    "next": "fila",
                }
            ),
            "$.nodes.x.timeout",
        ),
        (
            lambda d: d["nodes"].update(
                x={"type": "http_lookup", "url": "ftp://crm", "attribute": "crm", "next": "fila"}
            ),
            "$.nodes.x.url",
        ),
    ],
)
def test_broken_documents_name_the_field_at_fault(mutate: Any, path: str) -> None:
    document = copy.deepcopy(_minimal())
    mutate(document)
    with pytest.raises(FlowError) as error:
        load_flow(document)
    assert error.value.path == path


def test_a_plain_string_text_is_taken_as_portuguese() -> None:
    flow = load_flow(_minimal())
    assert flow.node("menu").prompt.render("en", {}) == "Reclamação 1, cancelamento 2"  # type: ignore[union-attr]


def test_default_document_is_plain_json() -> None:
    import json

    assert json.loads(json.dumps(default_flow("chat")))["nodes"]["menu_principal"]["type"] == "menu"
