"""The desk's HTTP surface: its pages, its static files and the JSON the pages call.

The JSON endpoints check role and ownership here, in one place, before asking the routing,
conversation and voice services to act: an agent may act only on their own reservations,
tasks, conversations and calls."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError

from atende.desk import (
    admin_api,
    agent_api,
    business_hours,
    media_api,
    pages,
    settings_api,
    static_files,
    supervisor_api,
)
from atende.desk.defaults import ensure_defaults
from atende.desk.service_level import ServiceLevelTracker
from atende.desk.supervisor_service import TRACKER_KEY
from atende.runtime import Runtime

router = APIRouter()
router.include_router(pages.router)
router.include_router(static_files.router)
router.include_router(settings_api.router)
router.include_router(agent_api.router)
router.include_router(supervisor_api.router)
router.include_router(admin_api.router)
router.include_router(media_api.router)


def setup(runtime: Runtime) -> None:
    tracker = ServiceLevelTracker(runtime.settings.timezone)
    runtime.services[TRACKER_KEY] = tracker

    async def follow_bus() -> None:
        tracker.follow(runtime.services["bus"])

    async def stop_following() -> None:
        tracker.stop()

    async def seed_defaults() -> None:
        async with runtime.sessions() as session:
            await ensure_defaults(session)
            try:
                await session.commit()
            except IntegrityError:
                # Another node starting at the same moment seeded them first.
                await session.rollback()

    async def install_business_hours() -> None:
        await business_hours.refresh(runtime)

    runtime.on_start(seed_defaults)
    runtime.on_start(install_business_hours)
    runtime.add_job("desk.business-hours", lambda: business_hours.follow(runtime))
    runtime.on_start(follow_bus)
    runtime.on_stop(stop_following)
