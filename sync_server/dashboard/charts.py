"""Small server-side SVG charts (no JavaScript, no third-party assets).

>>> svg = trend_svg([TrendPoint("2024-09", "09/24", 80.0, 70.1, 87.2, 64, False)], title="Chỉ số")
>>> str(svg).startswith("<svg")
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "TrendPoint", "bars_html", "spark_svg", "trend_svg"]


@dataclass(frozen=True)
class TrendPoint:
    """One period on the trend chart; `value`, `lo`, `hi` are percentages or None."""

    key: str
    label: str
    value: float | None
    lo: float | None
    hi: float | None
    n: int
    insufficient: bool


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: a label, a percentage or None (no data), and the value as shown."""

    label: str
    value: float | None
    note: str = ""


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _segments(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Split a series at missing values so that a gap is drawn as a gap."""
    out: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for x, y in points:
        if y is None:
            if current:
                out.append(current)
            current = []
        else:
            current.append((x, y))
    if current:
        out.append(current)
    return out


def trend_svg(points: Sequence[TrendPoint], *, title: str, no_data: str = "—") -> Markup:
    """A line of the satisfaction index per period with its 95 % interval as a band.

    The y axis ends at 100 and starts at 0, 10, … 50: the round value at least 10 below the lowest figure.
    """
    width, height = 620, 250
    left, right, top, bottom = 34, 8, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(len(points), 1)
    step = plot_w / count

    def px(i: int) -> float:
        return left + step * (i + 0.5)

    # The axis starts at a round value below the lowest figure, so month-to-month changes show.
    lows = [v for p in points for v in (p.lo, p.value) if v is not None]
    floor = max(0, min(50, int(min(lows) // 10) * 10 - 10)) if lows else 0
    span = 100 - floor

    def py(v: float) -> float:
        return top + plot_h * (1 - (max(v, floor) - floor) / span)

    parts: list[str] = [
        f'<svg class="chart trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    grid_step = 10 if span <= 60 else 20 if span <= 80 else 25
    for g in range(floor, 101, grid_step):
        y = py(g)
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{g}</text>')
    band_series = [
        (px(i), (p.lo, p.hi) if p.lo is not None and p.hi is not None else None) for i, p in enumerate(points)
    ]
    seg: list[tuple[float, float, float]] = []
    bands: list[list[tuple[float, float, float]]] = []
    for x, b in band_series:
        if b is None:
            if seg:
                bands.append(seg)
            seg = []
        else:
            seg.append((x, b[0], b[1]))
    if seg:
        bands.append(seg)
    for band in bands:
        if len(band) == 1:
            x, lo, hi = band[0]
            parts.append(
                f'<rect class="band" x="{x - 6:.1f}" y="{py(hi):.1f}" width="12" '
                f'height="{py(lo) - py(hi):.1f}"/>'
            )
            continue
        upper = " ".join(f"{x:.1f},{py(hi):.1f}" for x, _, hi in band)
        lower = " ".join(f"{x:.1f},{py(lo):.1f}" for x, lo, _ in reversed(band))
        parts.append(f'<polygon class="band" points="{upper} {lower}"/>')
    for seg_pts in _segments([(px(i), p.value) for i, p in enumerate(points)]):
        if len(seg_pts) > 1:
            line = " ".join(f"{x:.1f},{py(y):.1f}" for x, y in seg_pts)
            parts.append(f'<polyline class="line" points="{line}"/>')
    for i, p in enumerate(points):
        x = px(i)
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{height - bottom + 20}" text-anchor="middle">'
            f"{escape(p.label)}</text>"
        )
        if p.value is None:
            if not no_data:
                continue
            parts.append(
                f'<text class="axis muted" x="{x:.1f}" y="{py(floor + span / 2):.1f}" text-anchor="middle">'
                f"{escape(no_data)}</text>"
            )
            continue
        cls = "dot hollow" if p.insufficient else "dot"
        tip = f"{p.label}: {_fmt(p.value)} (n = {p.n})"
        if p.lo is not None and p.hi is not None:
            tip += f" [{_fmt(p.lo)}–{_fmt(p.hi)}]"
        parts.append(
            f'<circle class="{cls}" cx="{x:.1f}" cy="{py(p.value):.1f}" r="4.5">'
            f"<title>{escape(tip)}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bars_html(bars: Sequence[Bar], *, title: str, no_data: str = "—") -> Markup:
    """Horizontal bars on a 0–100 scale as plain HTML (readable at phone width), value after each bar."""
    parts = [f'<ul class="bars" aria-label="{escape(title)}">']
    for bar in bars:
        if bar.value is None:
            fill, value, tone = "0", escape(no_data), "none"
        else:
            fill = f"{max(0.0, min(bar.value, 100.0)):.1f}"
            value = escape(bar.note or _fmt(bar.value))
            tone = "good" if bar.value >= 80 else "fair" if bar.value >= 50 else "poor"
        parts.append(
            f'<li><span class="bar-label">{escape(bar.label)}</span>'
            f'<span class="bar-track"><span class="bar-fill {tone}" style="width:{fill}%"></span></span>'
            f'<span class="bar-value">{value}</span></li>'
        )
    parts.append("</ul>")
    return Markup("".join(parts))


def spark_svg(values: Sequence[float | None], *, title: str, width: int = 96, height: int = 28) -> Markup:
    """A small trend line (0–100 scaled to the values' range) for a table cell; gaps stay gaps."""
    known = [v for v in values if v is not None]
    parts = [
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    if known:
        low, high = min(known), max(known)
        low, high = min(low, high - 10), max(high, low + 10)  # a flat line is not a dramatic one
        step = (width - 8) / max(1, len(values) - 1)

        def y(v: float) -> float:
            return 4 + (height - 8) * (1 - (v - low) / (high - low))

        points = [(4 + i * step, v) for i, v in enumerate(values)]
        for seg in _segments(points):
            if len(seg) > 1:
                line = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in seg)
                parts.append(f'<polyline class="line" points="{line}"/>')
        last = next(((x, v) for x, v in reversed(points) if v is not None), None)
        if last is not None:
            parts.append(f'<circle class="dot" cx="{last[0]:.1f}" cy="{y(last[1]):.1f}" r="2.5"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
