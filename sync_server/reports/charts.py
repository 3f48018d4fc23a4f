"""The trend chart drawn into DOCX and PDF reports (matplotlib, no pyplot global state).

>>> png = trend_png(data)   # bytes of a PNG, or None when there is no trend to draw
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib import font_manager
from matplotlib.figure import Figure

from sync_server.reports.content import ReportData, month_label
from sync_server.reports.fonts import font_path

__all__ = ["trend_png"]


def _font_family() -> str:
    path = font_path("sans", "regular")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(Path(path))).get_name()


def trend_png(data: ReportData, width_in: float = 6.3, height_in: float = 2.6) -> bytes | None:
    """A line chart of the satisfaction and friendly indices by month, as PNG bytes."""
    rows = [r for r in data.trend if r.get("satisfaction_index") is not None or r.get("friendly_index")]
    if len(rows) < 2:
        return None
    family = _font_family()
    fig = Figure(figsize=(width_in, height_in), dpi=150)
    ax = fig.add_subplot()
    labels = [month_label(str(r["key"])) for r in rows]
    xs = list(range(len(rows)))
    for key, name, style in (
        ("satisfaction_index", "Chỉ số hài lòng", "-o"),
        ("friendly_index", "Chỉ số thân thiện", "--s"),
        ("service_index", "Chỉ số phục vụ (SIPAS)", ":^"),
    ):
        ys = [r.get(key) for r in rows]
        ax.plot(xs, [float("nan") if y is None else y for y in ys], style, label=name, markersize=3)
    ax.set_xticks(xs, labels, fontsize=7, fontfamily=family, rotation=0)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylim(0, 100)
    ax.set_ylabel("%", fontsize=8, fontfamily=family)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(prop={"family": family, "size": 7}, loc="lower left", ncols=3, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
