"""`GET /api/v1/indices`: a unit's satisfaction figures, computed by the index engine from tallies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlmodel import Field, SQLModel

from sync_server.api.deps import SessionDep, SettingsDep, UserDep
from sync_server.api.errors import ApiError, error_responses
from sync_server.periods import FIRST_DAY, LAST_DAY
from sync_server.queries import UnknownUnit, indices_for, unit_by_code, unit_scope

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["indices"])


class ItemFigures(SQLModel):
    n: int
    index: float | None
    violation_rates: dict[str, float | None] | None = None


class IndexRow(SQLModel):
    key: str | None
    n: int
    satisfaction_index: float | None
    satisfaction_ci95: list[float] | None
    mean_score: float | None
    friendly_index: float | None
    service_index: float | None
    groups: dict[str, float | None]
    items: dict[str, ItemFigures]
    insufficient: bool


class IndicesReply(SQLModel):
    method: str
    unit: str
    from_: str = Field(alias="from")
    to: str
    rows: list[IndexRow]


@router.get("/indices", response_model=IndicesReply, responses=error_responses(400, 401, 403, 404))
def indices(
    user: UserDep,
    session: SessionDep,
    settings: SettingsDep,
    unit: Annotated[str, Query(min_length=1, max_length=64, description="Unit code")],
    from_: Annotated[
        dt.date | None, Query(alias="from", description="First day (default: 1st of this month)")
    ] = None,
    to: Annotated[dt.date | None, Query(description="Last day, inclusive (default: today)")] = None,
    by: Literal["none", "staff", "period"] = "none",
    period: Literal["month", "quarter", "half", "year"] = "month",
    include_flagged: bool = False,
) -> Any:
    """Figures of a unit (and the units under it) for an inclusive range of local days."""
    try:
        target = unit_by_code(session, unit)
    except UnknownUnit as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    if target.id not in unit_scope(session, user):
        raise ApiError(403, "forbidden", "This unit's figures are outside your account's scope.")
    today = dt.datetime.now(ZoneInfo(target.timezone)).date()
    date_to = to or today
    date_from = from_ or date_to.replace(day=1)
    for name, day in (("from", date_from), ("to", date_to)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ApiError(
                400,
                "invalid_request",
                f"'{name}' must be a day from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}.",
            )
    if date_from > date_to:
        raise ApiError(
            400, "invalid_request", "The range ends before it starts: 'from' must not be after 'to'."
        )
    body = indices_for(
        session,
        target.code,
        date_from,
        date_to,
        by=by,
        period=period,
        include_flagged=include_flagged,
        min_sample=settings.min_sample,
    )
    return JSONResponse(body)
