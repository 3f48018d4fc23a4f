"""The officers tab: officers ranked by satisfaction (sub-units above a commune), and one officer's page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from sync_server.api.deps import SettingsDep
from sync_server.dashboard.charts import spark_svg, trend_svg
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.officer_table import SORTS, officer_table, sort_key_of
from sync_server.dashboard.views import (
    figures,
    item_views,
    officer_label,
    rank,
    staff_names,
    survey_of,
    trend_points,
    trend_window,
    unit_ids,
)
from sync_server.dashboard.web import Page, render
from sync_server.periods import month_keys, parse_period
from sync_server.queries import staff_ids_of

from .deps import ReadDB, page_for, templates

__all__ = ["router"]

router = APIRouter()
SPARK_MONTHS = 6


def sort_links(page: Page, sort: str, direction: str) -> dict[str, str]:
    """Each column's sort link: the same column again flips the direction; figures start high first."""
    out = {}
    for col in SORTS:
        if col == sort:
            flip = "asc" if direction == "desc" else "desc"
        else:
            flip = "asc" if col in ("rank", "name") else "desc"
        out[col] = page.request.url.path + page.qs(sort=col, dir=flip)
    return out


@router.get("/officers", response_class=HTMLResponse)
def officers(request: Request, db: ReadDB, settings: SettingsDep) -> Response:
    page = page_for(request, db)
    assert page.period is not None
    assert page.unit is not None
    # Officer ids are unique within a commune only: across communes the same id is another person,
    # so a unit above communes compares its sub-units instead of ranking officers.
    staff_ids = staff_ids_of(page.db, unit_ids(page))
    merged = len(staff_ids) != len(set(staff_ids))
    rows = [] if merged else figures(page, page.period, by="staff")["rows"]
    previous = [] if merged else figures(page, page.period.previous(), by="staff")["rows"]
    end = min(page.period.date_to, page.today())
    months = [
        figures(page, parse_period("month", key, None, None, today=end), by="staff")["rows"]
        for key in ([] if merged else month_keys(end, SPARK_MONTHS))
    ]
    names = staff_names(page)
    sort, direction = sort_key_of(request.query_params.get("sort"), request.query_params.get("dir"))
    table = officer_table(
        rows,
        previous,
        months,
        rank(rows),
        names,
        lambda key: officer_label(page, names, key),
        sort=sort,
        direction=direction,
    )
    t = translator(page.lang)
    sparks = {
        line.slug: spark_svg(line.spark, title=t("officers.trend_of", name=line.name)) for line in table.rows
    }
    children = [u for u in page.units if u.parent_id == page.unit.id]
    sub_units = []
    if children:
        child_rows = {}
        for u in children:
            found = figures(page, page.period, unit=u)["rows"]
            child_rows[u.code] = found[0] if found else None
        unit_ranks = rank([{**r, "key": code} for code, r in child_rows.items() if r is not None])
        for u in sorted(children, key=lambda u: (unit_ranks.get(u.code, 10**9), u.name)):
            sub_units.append({"unit": u, "row": child_rows[u.code], "rank": unit_ranks.get(u.code)})
    return render(
        templates,
        page,
        "officers.html",
        "officers",
        officers=[] if merged else table.rows,
        improved=table.improved,
        declined=table.declined,
        sparks=sparks,
        sort=sort,
        direction=direction,
        sort_links=sort_links(page, sort, direction),
        officers_merged=merged,
        sub_units=sub_units,
        min_sample=settings.min_sample,
    )


# `path`: an officer id may hold "/" (the link encodes it, but the server sees it decoded).
@router.get("/officers/{slug:path}", response_class=HTMLResponse)
def officer(request: Request, db: ReadDB, slug: str) -> Response:
    page = page_for(request, db)
    assert page.period is not None
    staff_id = None if slug == "_none" else slug
    names = staff_names(page)
    if staff_id is not None and staff_id not in names:
        return render(
            templates,
            page,
            "error.html",
            "officers",
            status_code=404,
            message=translator(page.lang)("error.not_found"),
        )
    rows = figures(page, page.period, by="staff")["rows"]
    row = next((r for r in rows if r["key"] == staff_id), None)
    window = trend_window(page)
    months: list[dict[str, Any]] = []
    for key in month_keys(window.date_to, 13):
        month = parse_period("month", key, None, None, today=window.date_to)
        month_rows = figures(page, month, by="staff")["rows"]
        m = next((r for r in month_rows if r["key"] == staff_id), None)
        months.append(
            {
                **(
                    m
                    or {
                        "n": 0,
                        "satisfaction_index": None,
                        "satisfaction_ci95": None,
                        "friendly_index": None,
                        "insufficient": True,
                    }
                ),
                "key": key,
            }
        )
    points = trend_points(
        page, [{**m, "key": m["key"]} for m in months if m["n"]], [m["key"] for m in months]
    )
    survey = survey_of(page)
    items, violations = item_views(page, row, survey)
    t = translator(page.lang)
    return render(
        templates,
        page,
        "officer.html",
        "officers",
        slug=slug,
        row=row,
        officer_name=officer_label(page, names, staff_id),
        months=[m for m in reversed(months) if m["n"]],
        trend_svg=trend_svg(points, title=t("officers.by_month"), no_data=""),
        items=items,
        violations=violations,
    )
