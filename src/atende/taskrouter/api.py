"""The TaskRouter v1-compatible API (`/v1/Workspaces/...`) and the routing manager's wiring.

Statistics routes come first: `/Workers/Statistics` must not be taken for a worker SID. The
resource modules' routes are copied into this one router rather than included: FastAPI matches
nested routers again at every level of every request, which costs milliseconds at this size."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

from atende.runtime import Runtime
from atende.taskrouter.assignment_callback import (
    install_assignment_handlers,
    queue_assignment_callbacks,
)
from atende.taskrouter.routing_manager import RoutingManager
from atende.taskrouter.service_base import MANAGER_KEY
from atende.taskrouter.task_creation import CREATIONS_KEY, TaskCreations
from atende.taskrouter.web import (
    routes_activities,
    routes_events,
    routes_reservations,
    routes_statistics,
    routes_task_channels,
    routes_task_queues,
    routes_tasks,
    routes_workers,
    routes_workflows,
    routes_workspaces,
)

ROUTE_ORDER = 0
"""Integrations call this API all day: its routes are matched before the desk's and the rest."""

router = APIRouter(tags=["taskrouter"], include_in_schema=False)
for module in (
    routes_tasks,
    routes_reservations,
    routes_statistics,
    routes_workers,
    routes_workspaces,
    routes_activities,
    routes_task_channels,
    routes_task_queues,
    routes_workflows,
    routes_events,
):
    for route in module.router.routes:
        assert isinstance(route, APIRoute)
        router.add_api_route(
            route.path,
            route.endpoint,
            methods=sorted(route.methods or ()),
            name=route.name,
            include_in_schema=False,
        )


def setup(runtime: Runtime) -> None:
    manager = RoutingManager(runtime)
    manager.after_command.append(queue_assignment_callbacks)
    runtime.services[MANAGER_KEY] = manager
    runtime.services[CREATIONS_KEY] = TaskCreations(runtime, manager)

    async def start() -> None:
        outbox = runtime.services.get("outbox")
        if outbox is not None:
            install_assignment_handlers(outbox, runtime)
        if runtime.settings.run_background:
            # Engines otherwise load on first use; at start-up, so overdue timers fire now.
            await manager.load_all()

    runtime.on_start(start)
    runtime.add_job("taskrouter.timers", manager.run_timers)
