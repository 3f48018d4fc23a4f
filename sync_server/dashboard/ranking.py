"""The province's (or ministry's) overview ranks the units directly below it: n, index, interval,
change against the previous period and "chưa đủ mẫu", with a bar chart; each row drills down.

    lines = sub_unit_ranking(page, min_sample)     # [] for a unit with nothing below it
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from sync_server.models import Unit

from .charts import Bar, bars_html
from .formatting import Change, Fmt, change_of
from .i18n import translator
from .views import rank, this_and_previous
from .web import Page

__all__ = ["SubUnitLine", "ranking_chart", "sub_unit_ranking"]


@dataclass(frozen=True)
class SubUnitLine:
    unit: Unit
    rank: int | None
    n: int
    index: float | None
    ci: list[float] | None
    insufficient: bool
    change: Change


def sub_unit_ranking(page: Page) -> list[SubUnitLine]:
    """The units directly below the page's unit, best index first, those under the minimum last."""
    assert page.unit is not None and page.period is not None
    children = [u for u in page.units if u.parent_id == page.unit.id]
    found: list[tuple[Unit, dict[str, Any] | None, dict[str, Any] | None]] = []
    for child in children:
        now, before = this_and_previous(page, page.period, unit=child)
        found.append((child, now, before))
    rows = [dict(r, key=u.code) for u, r, _b in found if r is not None]
    ranks = rank(rows)
    lines = []
    for child, now, before in found:
        enough_now = bool(now) and not now["insufficient"]  # type: ignore[index]
        enough_before = bool(before) and not before["insufficient"]  # type: ignore[index]
        index = now["satisfaction_index"] if now else None
        change = (
            change_of(index, before["satisfaction_index"] if before else None)
            if enough_now and enough_before
            else change_of(None, None)
        )
        lines.append(
            SubUnitLine(
                unit=child,
                rank=ranks.get(child.code),
                n=now["n"] if now else 0,
                index=index,
                ci=now["satisfaction_ci95"] if now else None,
                insufficient=not enough_now,
                change=change,
            )
        )
    lines.sort(key=lambda x: (x.rank is None, x.rank or 0, -(x.index or 0), x.unit.name))
    return lines


def ranking_chart(page: Page, lines: list[SubUnitLine]) -> Markup:
    """Bars of the sub-units' indices; one under the minimum sample says so next to its figure."""
    t = translator(page.lang)
    f = Fmt(page.lang, page.tz)
    bars = []
    for x in lines:
        note = f.pct(x.index) if x.index is not None else ""
        if x.insufficient and x.index is not None:
            note += f" ({t('index.insufficient')})"
        bars.append(Bar(x.unit.name, x.index, note))
    return bars_html(bars, title=t("ranking.title"), no_data=t("index.no_data"))
