"""The web chat's public surface: the widget script and the visitors' WebSocket."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import FileResponse

from atende.channels.webchat import ORIGINS_SETTING
from atende.errors import Problem
from atende.messaging.webchat import VisitorSession
from atende.messaging.webhooks import hub_of

WIDGET = Path(__file__).resolve().parent.parent / "channels" / "static" / "webchat.js"

POLICY_VIOLATION = 1008

router = APIRouter(prefix="/webchat", tags=["webchat"], include_in_schema=False)


def refusal(origin: str) -> str:
    return f"origin {origin!r} may not use this web chat; it is not in {ORIGINS_SETTING}"


@router.get("/widget.js")
async def widget(request: Request) -> FileResponse:
    """The one script a site embeds: `<script src="…/webchat/widget.js" defer></script>`.
    A script tag sends no `Origin`; a script fetching the file from another site does, and
    is refused unless that site may embed the chat."""
    origin = request.headers.get("origin")
    if not hub_of(request.app.state.runtime).webchat_origins.allows(origin):
        raise Problem(403, "Origin not allowed", refusal(str(origin)))
    headers = {"Cache-Control": "public, max-age=300", "Vary": "Origin"}
    headers["Access-Control-Allow-Origin"] = origin or "*"
    return FileResponse(WIDGET, media_type="text/javascript; charset=utf-8", headers=headers)


@router.websocket("/ws")
async def visitor_socket(websocket: WebSocket) -> None:
    """Another site's page is told why (an error frame, then close 1008, which the widget
    shows and does not retry) rather than refused at the handshake, which a browser reports
    to the page only as a failed connection."""
    hub = hub_of(websocket.app.state.runtime)
    origin = websocket.headers.get("origin")
    await websocket.accept()
    if not hub.webchat_origins.allows(origin):
        detail = refusal(str(origin))
        await websocket.send_json({"type": "error", "code": "origin_not_allowed", "detail": detail})
        await websocket.close(POLICY_VIOLATION, "origin not allowed")
        return
    await VisitorSession(hub, websocket).run()
