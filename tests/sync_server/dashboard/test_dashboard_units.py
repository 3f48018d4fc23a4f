"""Pure parts of the dashboard: periods, number formatting, change arrows, SVG charts, wording."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest

from sync_server.dashboard.charts import Bar, TrendPoint, bars_html, trend_svg
from sync_server.dashboard.formatting import Fmt, change_of
from sync_server.dashboard.i18n import STRINGS, translator
from sync_server.periods import PeriodError, month_keys, parse_period

TODAY = date(2024, 9, 3)


@pytest.mark.parametrize(
    ("kind", "key", "first", "last", "previous", "label"),
    [
        ("month", "2024-09", date(2024, 9, 1), date(2024, 9, 30), "2024-08", "Tháng 9/2024"),
        ("month", "2024-01", date(2024, 1, 1), date(2024, 1, 31), "2023-12", "Tháng 1/2024"),
        ("quarter", "2024-Q1", date(2024, 1, 1), date(2024, 3, 31), "2023-Q4", "Quý I/2024"),
        ("half", "2024-H2", date(2024, 7, 1), date(2024, 12, 31), "2024-H1", "6 tháng cuối năm 2024"),
        ("year", "2024", date(2024, 1, 1), date(2024, 12, 31), "2023", "Năm 2024"),
    ],
)
def test_calendar_periods(kind: str, key: str, first: date, last: date, previous: str, label: str) -> None:
    p = parse_period(kind, key, None, None, today=TODAY)
    assert (p.date_from, p.date_to, p.previous().key, p.label("vi")) == (first, last, previous, label)


def test_default_and_custom_periods() -> None:
    assert parse_period(None, None, None, None, today=TODAY).key == "2024-09"
    p = parse_period("custom", None, "2024-09-10", "2024-09-19", today=TODAY)
    prev = p.previous()
    assert (prev.date_from, prev.date_to) == (date(2024, 8, 31), date(2024, 9, 9))
    assert p.label("vi") == "10/09/2024 – 19/09/2024"


@pytest.mark.parametrize(
    ("kind", "key", "start", "end"),
    [
        ("quarter", "2024-Q5", None, None),
        ("month", "2024-13", None, None),
        ("bogus", None, None, None),
        ("custom", None, "2024-09-10", "2024-09-01"),
        ("custom", None, "yesterday", "2024-09-01"),
    ],
)
def test_bad_periods_are_refused(kind: str, key: str | None, start: str | None, end: str | None) -> None:
    with pytest.raises(PeriodError):
        parse_period(kind, key, start, end, today=TODAY)


def test_month_keys_cross_the_year() -> None:
    keys = month_keys(date(2024, 2, 10), 13)
    assert keys[0] == "2023-02" and keys[-1] == "2024-02" and len(keys) == 13


def test_numbers_in_each_language() -> None:
    vi, en = Fmt("vi"), Fmt("en")
    assert (vi.pct(55.55), en.pct(55.55), vi.pct(None)) == ("55,6", "55.6", "—")
    assert (vi.int(1234567), en.int(1234567)) == ("1.234.567", "1,234,567")
    assert vi.ci([26.7, 81.1]) == "26,7 – 81,1" and vi.mean(3.444) == "3,44"


def test_change_compares_the_shown_figures() -> None:
    assert change_of(80.04, 80.0).direction == "same"
    up = change_of(81.26, 80.0)
    assert up.direction == "up" and Fmt("vi").delta(up) == "+1,3"
    down = change_of(70.0, 72.5)
    assert down.direction == "down" and Fmt("vi").delta(down) == "−2,5" and Fmt("vi").arrow(down) == "▼"
    assert change_of(None, 70.0).direction == "none"


def test_trend_chart_draws_band_line_and_gaps() -> None:
    pts = [
        TrendPoint("2024-07", "07/24", 80.0, 70.0, 88.0, 64, False),
        TrendPoint("2024-08", "08/24", None, None, None, 0, True),
        TrendPoint("2024-09", "09/24", 85.0, 75.0, 91.0, 70, False),
        TrendPoint("2024-10", "10/24", 90.0, 60.0, 99.0, 12, True),
    ]
    svg = str(trend_svg(pts, title="Chỉ số <hài lòng>"))
    assert svg.startswith("<svg") and "Chỉ số &lt;hài lòng&gt;" in svg
    assert svg.count("<circle") == 3 and svg.count('class="dot hollow"') == 1
    assert svg.count("<polyline") == 1  # the gap in August splits the line; a lone July point has none
    assert "<rect" in svg and "<polygon" in svg  # a lone band, then a band over two months
    xs = [float(x) for x in re.findall(r'<circle[^>]* cx="([0-9.]+)"', svg)]
    assert xs == sorted(xs) and xs[-1] - xs[0] > 400  # the months spread over the whole width
    ys = re.findall(r'class="axis" x="[0-9.]+" y="[0-9.]+" text-anchor="end">(\d+)<', svg)
    assert ys == ["50", "60", "70", "80", "90", "100"]  # lowest interval 60 → the axis starts at 50


def test_bars_escape_labels_and_show_missing_data() -> None:
    html = str(bars_html([Bar("<b>4 xin</b>", 93.04, "93,0"), Bar("5 không", None)], title="Nhóm"))
    assert "&lt;b&gt;4 xin&lt;/b&gt;" in html and "width:93.0%" in html and "—" in html


def test_every_string_has_both_languages_in_nfc() -> None:
    for key, (vi, en) in STRINGS.items():
        assert vi and en, key
        assert unicodedata.normalize("NFC", vi) == vi, key
    assert translator("en")("nav.overview") == "Overview" and translator("vi")("nav.overview") == "Tổng quan"
