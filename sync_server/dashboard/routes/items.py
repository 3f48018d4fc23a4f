"""The items tab: the index of each question and the rate of each listed violation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from sync_server.dashboard.views import figures, item_views, survey_of
from sync_server.dashboard.web import render

from .deps import ReadDB, page_for, templates

__all__ = ["router"]

router = APIRouter()


@router.get("/items", response_class=HTMLResponse)
def items_page(request: Request, db: ReadDB) -> Response:
    page = page_for(request, db)
    assert page.period is not None
    rows = figures(page, page.period)["rows"]
    items, violations = item_views(page, rows[0] if rows else None, survey_of(page))
    return render(templates, page, "items.html", "items", items=items, violations=violations)
