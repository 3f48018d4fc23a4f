"""What the dashboard's pages show, computed from a page's unit and period: figures, ranks, item rows.

rows = figures(page, page.period, by="staff")["rows"]    # cached until new ballots arrive
ranks = rank(rows)                                       # {"CB01": 1, "CB02": 2, "CB03": 2}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from surveys.loader import Survey
from sync_server.api.deps import get_settings
from sync_server.models import Staff, Unit
from sync_server.periods import Period, month_keys, parse_period
from sync_server.queries import current_survey, indices_for, staff_of, subtree, survey_version_row
from sync_server.reports.content import Labels
from sync_server.settings import Settings

from .cache import FiguresCache, data_version
from .charts import TrendPoint
from .i18n import translator
from .web import Page

__all__ = [
    "figures",
    "figures_cache",
    "item_views",
    "officer_label",
    "rank",
    "rating_label",
    "settings_of",
    "staff_names",
    "survey_of",
    "this_and_previous",
    "trend_points",
    "trend_window",
    "unit_ids",
]


def settings_of(page: Page) -> Settings:
    """The server's settings (kept on the app by `create_app`)."""
    return get_settings(page.request)


def figures_cache(page: Page) -> FiguresCache:
    """The app's figures cache (made by the dashboard's `install`, or here for an app built without it)."""
    state = page.request.app.state
    if not isinstance(getattr(state, "figures_cache", None), FiguresCache):
        state.figures_cache = FiguresCache()
    cache: FiguresCache = state.figures_cache
    return cache


def survey_of(page: Page) -> Survey | None:
    assert page.unit is not None
    if "survey" not in page.memo:
        page.memo["survey"] = current_survey(page.db, page.unit)
    survey: Survey | None = page.memo["survey"]
    return survey


def figures(
    page: Page, period: Period, by: str = "none", kind: str = "month", unit: Unit | None = None
) -> dict[str, Any]:
    """`indices_for` of the page's unit or `unit` (shared: never mutate), cached until new ballots."""
    settings = settings_of(page)
    unit = unit or page.unit
    assert unit is not None and unit.id is not None
    memo_key = f"version:{unit.code}"
    if memo_key not in page.memo:
        row = survey_version_row(page.db, unit)
        page.memo[memo_key] = (data_version(page.db, unit.id), row.content_hash if row else None)
    source = source_of(page)
    key = (
        unit.code,
        period.date_from,
        period.date_to,
        by,
        kind,
        settings.min_sample,
        page.memo[memo_key],
        source,
    )
    code = unit.code
    return figures_cache(page).get_or_compute(
        key,
        lambda: indices_for(
            page.db,
            code,
            period.date_from,
            period.date_to,
            by=by,
            period=kind,
            min_sample=settings.min_sample,
            source=source,
        ),
    )


def source_of(page: Page) -> str | None:
    """The ballot source the reader filters on (`?source=kiosk|web`), or None for all ballots."""
    value = page.request.query_params.get("source")
    return value if value in ("kiosk", "web") else None


def this_and_previous(
    page: Page, period: Period, unit: Unit | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The figures of a period and of the one before it (of the page's unit or `unit`); one query for
    calendar periods."""
    before = period.previous()
    if period.kind == "custom":
        now_rows = figures(page, period, unit=unit)["rows"]
        before_rows = figures(page, before, unit=unit)["rows"]
        return (now_rows[0] if now_rows else None), (before_rows[0] if before_rows else None)
    both = Period("custom", "", before.date_from, period.date_to)
    rows = {r["key"]: r for r in figures(page, both, by="period", kind=period.kind, unit=unit)["rows"]}
    return rows.get(period.key), rows.get(before.key)


def unit_ids(page: Page) -> set[int]:
    assert page.unit is not None and page.unit.id is not None
    return subtree(page.db, [page.unit.id])


def staff_names(page: Page) -> dict[str, Staff]:
    if "staff" not in page.memo:
        page.memo["staff"] = {s.id: s for s in staff_of(page.db, unit_ids(page))}
    names: dict[str, Staff] = page.memo["staff"]
    return names


def officer_label(page: Page, names: dict[str, Staff], staff_id: str | None) -> str:
    if staff_id is None:
        return translator(page.lang)("officers.unknown")
    s = names.get(staff_id)
    return s.name if s else staff_id


def rating_label(page: Page, survey: Survey | None, value: Any) -> str:
    if not isinstance(value, int) or not 1 <= value <= 5:
        return "—"
    if survey is None:
        return str(value)
    return f"{value} – {survey.scale_label(value).get(page.lang)}"


def trend_points(page: Page, rows: list[dict[str, Any]], keys: list[str]) -> list[TrendPoint]:
    by_key = {r["key"]: r for r in rows}
    points = []
    for key in keys:
        r = by_key.get(key)
        ci = (r or {}).get("satisfaction_ci95") or [None, None]
        points.append(
            TrendPoint(
                key=key,
                label=f"{key[5:7]}/{key[2:4]}",
                value=r["satisfaction_index"] if r else None,
                lo=ci[0],
                hi=ci[1],
                n=r["n"] if r else 0,
                insufficient=bool(r["insufficient"]) if r else True,
            )
        )
    return points


def trend_window(page: Page) -> Period:
    assert page.period is not None
    end = min(page.period.date_to, page.today())
    keys = month_keys(end, 13)
    first = dt.date.fromisoformat(keys[0] + "-01")
    last = parse_period("month", keys[-1], None, None, today=end).date_to
    return Period("custom", f"{first}..{last}", first, last)


def rank(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Competition ranks (1, 2, 2, 4) by satisfaction index of the rows with a key and enough ballots."""
    ranked = sorted(
        (
            r
            for r in rows
            if r["key"] is not None and not r["insufficient"] and r["satisfaction_index"] is not None
        ),
        key=lambda r: -r["satisfaction_index"],
    )
    ranks: dict[str, int] = {}
    for i, r in enumerate(ranked):
        before = ranked[i - 1] if i else None
        same = before is not None and before["satisfaction_index"] == r["satisfaction_index"]
        ranks[r["key"]] = ranks[before["key"]] if same and before is not None else i + 1
    return ranks


def item_views(
    page: Page, row: dict[str, Any] | None, survey: Survey | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if survey is None:
        return [], []
    items = (row or {}).get("items", {})
    group_titles = {g.id: g.title.get(page.lang) for g in survey.groups}
    short = Labels.from_survey(survey).items if page.lang == "vi" else {}
    out: list[dict[str, Any]] = []
    violations: list[dict[str, Any]] = []
    for q in survey.questions:
        if q.type not in ("rating5", "checklist"):
            continue
        it = items.get(q.id) or {"n": 0, "index": None}
        out.append(
            {
                "id": q.id,
                "text": short.get(q.id) or q.text.get(page.lang),
                "full": q.text.get(page.lang),
                "groups": ", ".join(group_titles.get(g, g) for g in q.groups),
                "n": it.get("n", 0),
                "index": it.get("index"),
                "checklist": q.type == "checklist",
            }
        )
        if q.type == "checklist":
            rates = it.get("violation_rates") or {}
            n = it.get("n", 0) or 0
            for o in q.options:
                rate = rates.get(o.id)
                # Counts are rebuilt from the rate and n (exact while n < 1,000; see docs/decisions.md).
                count = round((rate or 0.0) * n / 100) if rate is not None else 0
                violations.append(
                    {"text": o.text.get(page.lang), "count": count, "rate": rate if n else None}
                )
    return out, violations
