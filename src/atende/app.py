"""The ASGI application: one factory, so tests and every node build the app the same way.

Domain packages plug in by convention: a module `atende/<domain>/api.py` exposing
`router: APIRouter` is mounted, and if it also defines `def setup(runtime: Runtime) -> None`
that is called before start-up to attach services and background jobs. An `early_router`
is mounted before every other router, so providers' webhooks are matched first; a module's
`ROUTE_ORDER` (default 100) moves its router ahead of others'."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

from fastapi import FastAPI

import atende
from atende import health
from atende.config import Settings
from atende.db.migrate import upgrade_async
from atende.errors import install_error_handlers
from atende.runtime import Runtime


def domain_api_modules() -> list[ModuleType]:
    modules = []
    for info in sorted(pkgutil.iter_modules(atende.__path__), key=lambda i: i.name):
        if info.ispkg and importlib.util.find_spec(f"atende.{info.name}.api") is not None:
            modules.append(importlib.import_module(f"atende.{info.name}.api"))
    return modules


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    settings = settings or Settings.from_env()
    runtime = Runtime(settings)
    modules = domain_api_modules()
    for module in modules:
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(runtime)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await upgrade_async(settings.database_url)
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Atende",
        version=atende.__version__,
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(health.router)
    # Providers' webhooks next: routes are tried in order, and providers time their answers.
    for module in modules:
        early = getattr(module, "early_router", None)
        if early is not None:
            app.include_router(early)
    # Routes are tried one by one: the busiest API first, then the rest in name order.
    for module in sorted(modules, key=lambda module: getattr(module, "ROUTE_ORDER", 100)):
        app.include_router(module.router)
    return app
