"""Messaging's HTTP surface and its background jobs, attached to the node's runtime."""

from __future__ import annotations

from fastapi import APIRouter

from atende.messaging import desk_api, numbers_api, webchat_api, webhooks
from atende.messaging.assignments import follow_assignments
from atende.messaging.hub import MessagingHub
from atende.messaging.taskrouter_gateway import TaskRouterGateway
from atende.runtime import Runtime

# Mounted first by the app factory: tried before the other routes, so answered sooner.
early_router = webhooks.router
router = APIRouter()
router.include_router(desk_api.router)
router.include_router(numbers_api.router)
router.include_router(webchat_api.router)


def setup(runtime: Runtime) -> None:
    hub = MessagingHub(runtime, TaskRouterGateway(runtime))
    runtime.services["messaging"] = hub
    runtime.add_job("messaging.inbound", hub.inbound.run)
    runtime.add_job("messaging.outbound", hub.outbound.run)
    runtime.add_job("messaging.media", hub.media.run)

    async def assignments() -> None:
        await follow_assignments(hub)

    runtime.add_job("messaging.assignments", assignments)
    runtime.on_stop(hub.close)
