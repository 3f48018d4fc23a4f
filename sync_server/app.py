"""`create_app(settings) -> FastAPI`: the sync server's web application; nothing is built at import time.

app = create_app(Settings.from_env())
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from sync_server.api import auth, devices, health, indices, ledger, responses
from sync_server.api.errors import install_error_handlers
from sync_server.dashboard import install as install_dashboard
from sync_server.db import make_engine
from sync_server.rate_limits import SharedFailureLimiter, SharedTokenBucket
from sync_server.settings import Settings
from sync_server.web import phone as phone_ballot

__all__ = ["create_app"]

API_VERSION = "1.0.0"


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The schema with FastAPI's 422 replaced by our 400 error body, and the batch schema included."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].pop("422", None)
                if operation.get("parameters") or operation.get("requestBody"):
                    operation["responses"].setdefault(
                        "400",
                        {
                            "description": "Invalid request",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                            },
                        },
                    )
    batch = responses.BatchIn.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in batch.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components.setdefault("BatchIn", batch)
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The FastAPI app for these settings (an engine may be passed in, e.g. by tests)."""
    settings = settings or Settings.from_env()
    own_engine = engine is None
    pooled = own_engine and make_url(settings.database_url).get_backend_name() != "sqlite"
    if engine is None:
        size = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_pool_size} if pooled else {}
        engine = make_engine(settings.database_url, **size)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # What is alive once the app is built (modules, tables, routes: hundreds of thousands of
        # objects) is never garbage: kept out of the collector's full passes, which a batch's
        # thousands of new objects would otherwise trigger over and over (docs/decisions.md).
        gc.collect()
        gc.freeze()

        if pooled:
            # Fewer threads than connections (3 for 4): a request then queues for a thread, without a
            # time limit, instead of timing out on the pool after 30 s with a 500, as a busy night did
            # with 4 workers; the spare quarter covers a request that briefly holds two connections.
            threads = max(4, settings.db_pool_size * 3 // 2)
            to_thread.current_default_thread_limiter().total_tokens = threads
        yield
        if own_engine:
            engine.dispose()

    app = FastAPI(
        title="Chính quyền thân thiện — sync server",
        version=API_VERSION,
        description="Sync protocol v1 for satisfaction kiosks, and the administrators' API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    # In the database, so every process behind a balancer counts together (rate_limits.py).
    app.state.enrol_limiter = SharedFailureLimiter(
        engine, "enrol", settings.enrol_max_failures, settings.login_window_s
    )
    app.state.upload_limiter = SharedTokenBucket(
        engine, "upload", settings.upload_burst, settings.upload_per_s
    )
    install_error_handlers(app)
    for module in (health, devices, responses, ledger, auth, indices):
        app.include_router(module.router)
    install_dashboard(app)
    app.include_router(phone_ballot.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
