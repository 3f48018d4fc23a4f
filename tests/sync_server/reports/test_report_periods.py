"""Reporting periods: the four forms the `report` command accepts, and clear errors for the rest."""

from __future__ import annotations

from datetime import date

import pytest

from sync_server.reports import PeriodError, parse_period


@pytest.mark.parametrize(
    ("key", "start", "end", "title"),
    [
        ("2024-09", date(2024, 9, 1), date(2024, 9, 30), "tháng 9 năm 2024"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "tháng 2 năm 2024"),
        ("2024-Q3", date(2024, 7, 1), date(2024, 9, 30), "quý III năm 2024"),
        ("2024-Q4", date(2024, 10, 1), date(2024, 12, 31), "quý IV năm 2024"),
        ("2024-H1", date(2024, 1, 1), date(2024, 6, 30), "6 tháng đầu năm 2024"),
        ("2024-H2", date(2024, 7, 1), date(2024, 12, 31), "6 tháng cuối năm 2024"),
        ("2024", date(2024, 1, 1), date(2024, 12, 31), "năm 2024"),
    ],
)
def test_periods_cover_their_days(key: str, start: date, end: date, title: str) -> None:
    period = parse_period(key)
    assert (period.key, period.start, period.end, period.title_vi) == (key, start, end, title)


@pytest.mark.parametrize(
    ("key", "previous"),
    [
        ("2024-01", "2023-12"),
        ("2024-Q1", "2023-Q4"),
        ("2024-H1", "2023-H2"),
        ("2024-H2", "2024-H1"),
        ("2024", "2023"),
    ],
)
def test_previous_period_crosses_years(key: str, previous: str) -> None:
    assert parse_period(key).previous().key == previous


def test_trend_window_is_twelve_months_ending_with_the_period() -> None:
    assert parse_period("2024-09").trend_start() == date(2023, 10, 1)
    assert parse_period("2024").trend_start() == date(2024, 1, 1)


@pytest.mark.parametrize(
    "bad", ["2024-13", "2024-Q5", "2024-H3", "24-09", "2024/09", "septembre", "", "2024-9"]
)
def test_bad_periods_say_what_is_expected(bad: str) -> None:
    with pytest.raises(PeriodError) as err:
        parse_period(bad)
    assert "\n" not in str(err.value)
