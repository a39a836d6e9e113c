"""The desk's HTTP surface: its pages, its static files and the JSON the pages call.

The JSON endpoints check role and ownership here, in one place, before asking the routing,
conversation and voice services to act: an agent may act only on their own reservations,
tasks, conversations and calls."""

from __future__ import annotations

from fastapi import APIRouter

from atende.desk import pages, settings_api, static_files

router = APIRouter()
router.include_router(pages.router)
router.include_router(static_files.router)
router.include_router(settings_api.router)

