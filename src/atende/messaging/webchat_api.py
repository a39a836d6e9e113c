"""The web chat's public surface: the widget script and the visitors' WebSocket."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, WebSocket
from fastapi.responses import FileResponse

from atende.messaging.webchat import VisitorSession
from atende.messaging.webhooks import hub_of

WIDGET = Path(__file__).resolve().parent.parent / "channels" / "static" / "webchat.js"

router = APIRouter(prefix="/webchat", tags=["webchat"], include_in_schema=False)


@router.get("/widget.js")
async def widget() -> FileResponse:
    """The one script a site embeds: `<script src="…/webchat/widget.js" defer></script>`."""
    return FileResponse(
        WIDGET,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


@router.websocket("/ws")
async def visitor_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await VisitorSession(hub_of(websocket.app.state.runtime), websocket).run()
