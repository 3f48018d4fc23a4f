"""The overview tab: this period's indices against the last, a 13-month trend, groups, open alerts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from sync_server.api.deps import SettingsDep
from sync_server.dashboard.charts import Bar, bars_html, trend_svg
from sync_server.dashboard.formatting import Fmt, change_of
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.ranking import ranking_chart, sub_unit_ranking
from sync_server.dashboard.views import figures, survey_of, this_and_previous, trend_points, trend_window
from sync_server.dashboard.web import render
from sync_server.periods import month_keys

from .alerts import newest_open_alerts
from .deps import ReadDB, page_for, templates

__all__ = ["router"]

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, db: ReadDB, settings: SettingsDep) -> Response:
    page = page_for(request, db)
    assert page.period is not None
    t = translator(page.lang)
    row, prev = this_and_previous(page, page.period)

    def pick(r: dict[str, Any] | None, name: str) -> float | None:
        return r.get(name) if r else None

    changes = {
        "satisfaction": change_of(pick(row, "satisfaction_index"), pick(prev, "satisfaction_index")),
        "friendly": change_of(pick(row, "friendly_index"), pick(prev, "friendly_index")),
        "service": change_of(pick(row, "service_index"), pick(prev, "service_index")),
    }
    window = trend_window(page)
    trend_rows = figures(page, window, by="period", kind="month")["rows"]
    points = trend_points(page, trend_rows, month_keys(window.date_to, 13))
    survey = survey_of(page)
    fmt = Fmt(page.lang, page.tz)
    groups = (row or {}).get("groups", {})
    friendly: list[Bar] = []
    sipas: list[Bar] = []
    if survey is not None:
        for g in survey.groups:
            value = groups.get(g.id)
            bar = Bar(g.title.get(page.lang), value, fmt.pct(value) if value is not None else "")
            (friendly if g.friendly else sipas if g.sipas else friendly).append(bar)
    ranking = sub_unit_ranking(page)
    open_alerts: list[dict[str, Any]] = []
    open_total = 0
    if page.access.sees_ballots:
        open_alerts, open_total = newest_open_alerts(page, survey)
    return render(
        templates,
        page,
        "overview.html",
        "overview",
        row=row,
        changes=changes,
        min_sample=settings.min_sample,
        trend_svg=trend_svg(points, title=t("overview.trend"), no_data=""),
        trend_points=points,
        friendly_svg=bars_html(friendly, title=t("overview.groups")),
        sipas_svg=bars_html(sipas, title=t("overview.sipas")),
        ranking=ranking,
        ranking_chart=ranking_chart(page, ranking) if ranking else "",
        open_alerts=open_alerts,
        open_alerts_total=open_total,
    )
