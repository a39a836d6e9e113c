"""Graph API bodies for each outbound kind, within WhatsApp's limits."""

from __future__ import annotations

import pytest

from atende.channels.whatsapp_cloud_payloads import graph_payload


def test_text_to_a_phone_goes_in_to_without_the_plus() -> None:
    body = graph_payload("+5511987654321", "text", "Olá", {})
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5511987654321",
        "type": "text",
        "text": {"body": "Olá", "preview_url": False},
    }


def test_a_user_id_goes_in_recipient() -> None:
    assert graph_payload("BR.15025", "text", "Olá", {})["recipient"] == "BR.15025"


def test_three_options_are_reply_buttons_with_short_titles() -> None:
    options = [
        {"id": "cancelamento", "title": "Cancelamento"},
        {"id": "reclamacao", "title": "Reclamação"},
        {"id": "atendente", "title": "Falar com um atendente agora mesmo"},
    ]
    body = graph_payload("+5511987654321", "interactive", "Escolha", {"options": options})
    interactive = body["interactive"]
    assert interactive["type"] == "button"
    buttons = interactive["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == ["cancelamento", "reclamacao", "atendente"]
    assert all(len(b["reply"]["title"]) <= 20 for b in buttons)


def test_more_options_become_a_list_of_at_most_ten_rows() -> None:
    options = [{"id": f"o{i}", "title": f"Opção {i}"} for i in range(12)]
    body = graph_payload("+5511987654321", "interactive", "Escolha", {"options": options})
    action = body["interactive"]["action"]
    assert body["interactive"]["type"] == "list"
    assert len(action["sections"][0]["rows"]) == 10
    assert action["button"] == "Ver opções"


def test_template_with_components() -> None:
    components = [{"type": "body", "parameters": [{"type": "text", "text": "Maria"}]}]
    content = {"name": "boas_vindas", "language": "pt_BR", "components": components}
    body = graph_payload("+5511987654321", "template", None, content)
    assert body["template"] == {
        "name": "boas_vindas",
        "language": {"code": "pt_BR"},
        "components": components,
    }


def test_a_reply_quotes_the_original_message() -> None:
    body = graph_payload("+5511987654321", "text", "Sim", {"reply_to": "wamid.X"})
    assert body["context"] == {"message_id": "wamid.X"}


def test_media_without_a_source_is_an_error() -> None:
    with pytest.raises(ValueError, match="link"):
        graph_payload("+5511987654321", "image", None, {})
