"""`GET /healthz`: 200 when the database answers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from .deps import EngineDep
from .errors import ApiError, error_responses

router = APIRouter(tags=["health"])


class Health(SQLModel):
    status: str


@router.get("/healthz", response_model=Health, responses=error_responses(503))
def healthz(engine: EngineDep) -> Health:
    """Is the server up and its database reachable?"""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise ApiError(503, "database_unavailable", "The database does not answer.") from None
    return Health(status="ok")
