"""`GET /healthz`: 200 when the database answers and can store, 503 `degraded` when it cannot."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import SQLModel

from sync_server.db import SQLITE_BUSY_TIMEOUT_MS

from .deps import EngineDep
from .errors import error_responses

router = APIRouter(tags=["health"])
log = logging.getLogger("sync_server.api")

# Bigger than a page (4 KiB SQLite, 8 KiB PostgreSQL): the probe must claim new space, as a batch would.
PROBE_BYTES = 16 * 1024
# SQLite: a writer holding the lock for longer than this means the database is busy, not broken.
PROBE_BUSY_MS = 2_000


class Health(SQLModel):
    status: str


class Degraded(SQLModel):
    status: str
    detail: str


def _probe(engine: Engine) -> None:
    """Write a row bigger than a page, then roll it back: raises when the database cannot store."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        driver = conn.connection.dbapi_connection
        if sqlite and driver is not None:
            driver.execute(f"PRAGMA busy_timeout={PROBE_BUSY_MS}")
        try:
            with conn.begin() as transaction:
                conn.execute(
                    text("INSERT INTO health_probe (id, pad) VALUES (:id, :pad)"),
                    {"id": 1, "pad": "x" * PROBE_BYTES},
                )
                transaction.rollback()
        finally:
            if sqlite and driver is not None:
                driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _busy(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig)


@router.get("/healthz", response_model=Health, responses={**error_responses(), 503: {"model": Degraded}})
def healthz(engine: EngineDep) -> Health | JSONResponse:
    """Is the server up, and can its database store?"""
    try:
        _probe(engine)
    except OperationalError as exc:
        if engine.dialect.name == "sqlite" and _busy(exc):
            return Health(status="ok")  # another writer holds the lock: it is storing
        log.warning("health check: the database cannot store (%s)", type(exc.orig).__name__)
        return _degraded("The database cannot store new data (disk full, read-only or unreachable).")
    except SQLAlchemyError as exc:
        log.warning("health check: the database cannot store (%s)", type(exc).__name__)
        return _degraded("The database cannot store new data (disk full, read-only or unreachable).")
    return Health(status="ok")


def _degraded(detail: str) -> JSONResponse:
    return JSONResponse({"status": "degraded", "detail": detail}, status_code=503)
