"""Graph API request bodies for each kind of outbound message.

An outbound message is stored channel-neutral (type, text, content); this turns it into what
`POST /{phone-number-id}/messages` expects. WhatsApp's limits are applied here (3 reply
buttons of 20 characters, list rows of 24) so a long label is shortened, never refused."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MAX_BUTTONS = 3
MAX_ROWS = 10
BUTTON_TITLE = 20
ROW_TITLE = 24
ROW_DESCRIPTION = 72
LIST_BUTTON = 20
BODY_LIMIT = 4096
MEDIA_KINDS = frozenset({"image", "audio", "video", "document", "sticker"})


def recipient(address: str) -> dict[str, str]:
    """Phones go in `to` (digits, no plus); a business-scoped user id in `recipient`."""
    if address.startswith("+"):
        return {"to": address[1:]}
    return {"recipient": address}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def graph_payload(
    address: str, kind: str, text: str | None, content: Mapping[str, Any]
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        **recipient(address),
    }
    if content.get("reply_to"):
        base["context"] = {"message_id": content["reply_to"]}
    if kind == "text":
        return {
            **base,
            "type": "text",
            "text": {"body": _clip(text or "", BODY_LIMIT), "preview_url": False},
        }
    if kind in MEDIA_KINDS:
        return {**base, "type": kind, kind: _media(kind, text, content)}
    if kind == "interactive":
        return {**base, "type": "interactive", "interactive": _interactive(text or "", content)}
    if kind == "template":
        return {**base, "type": "template", "template": _template(content)}
    raise ValueError(f"cannot send a {kind!r} message through WhatsApp")


def _media(kind: str, caption: str | None, content: Mapping[str, Any]) -> dict[str, Any]:
    media: dict[str, Any] = {}
    if content.get("provider_media_id"):
        media["id"] = content["provider_media_id"]
    elif content.get("link"):
        media["link"] = content["link"]
    else:
        raise ValueError("a media message needs a link or an uploaded media id")
    if caption and kind in ("image", "video", "document"):
        media["caption"] = caption
    if kind == "document" and content.get("filename"):
        media["filename"] = content["filename"]
    return media


def _interactive(body: str, content: Mapping[str, Any]) -> dict[str, Any]:
    options: Sequence[Mapping[str, Any]] = content.get("options") or []
    interactive: dict[str, Any] = {"body": {"text": _clip(body, 1024)}}
    if content.get("header"):
        interactive["header"] = {"type": "text", "text": _clip(str(content["header"]), 60)}
    if content.get("footer"):
        interactive["footer"] = {"text": _clip(str(content["footer"]), 60)}
    if len(options) <= MAX_BUTTONS and content.get("kind", "button") == "button":
        buttons = [
            {
                "type": "reply",
                "reply": {"id": str(o["id"]), "title": _clip(str(o["title"]), BUTTON_TITLE)},
            }
            for o in options
        ]
        return {**interactive, "type": "button", "action": {"buttons": buttons}}
    rows = []
    for option in options[:MAX_ROWS]:
        row = {"id": str(option["id"]), "title": _clip(str(option["title"]), ROW_TITLE)}
        if option.get("description"):
            row["description"] = _clip(str(option["description"]), ROW_DESCRIPTION)
        rows.append(row)
    label = _clip(str(content.get("button") or "Ver opções"), LIST_BUTTON)
    section = {"title": _clip(str(content.get("section") or "Opções"), ROW_TITLE), "rows": rows}
    return {**interactive, "type": "list", "action": {"button": label, "sections": [section]}}


def _template(content: Mapping[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = {
        "name": content["name"],
        "language": {"code": content.get("language") or "pt_BR"},
    }
    components = content.get("components") or []
    if components:
        template["components"] = list(components)
    return template


def body_parameters(values: Sequence[str]) -> list[dict[str, Any]]:
    """The components of a template whose body takes {{1}}, {{2}}… in order."""
    if not values:
        return []
    parameters = [{"type": "text", "text": value} for value in values]
    return [{"type": "body", "parameters": parameters}]
