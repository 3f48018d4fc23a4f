"""Reporting periods: parse "2024-09", "2024-Q3", "2024-H2" or "2024" into dates and labels.

>>> p = parse_period("2024-Q3")
>>> (p.kind, p.start.isoformat(), p.end.isoformat(), p.title_vi)
('quarter', '2024-07-01', '2024-09-30', 'quý III năm 2024')
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = ["PeriodError", "PeriodKind", "ReportPeriod", "parse_period"]

PeriodKind = Literal["month", "quarter", "half", "year"]

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])|H(?P<half>[12])))?$")
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class PeriodError(ValueError):
    """A period string that is not one of YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY."""


@dataclass(frozen=True)
class ReportPeriod:
    """One reporting period, with its first and last day (inclusive)."""

    key: str
    kind: PeriodKind
    year: int
    start: date
    end: date

    @property
    def months(self) -> list[str]:
        """The months it covers, as "YYYY-MM"."""
        return [f"{self.year}-{m:02d}" for m in range(self.start.month, self.end.month + 1)]

    @property
    def title_vi(self) -> str:
        """How the title names it: "tháng 9 năm 2024", "quý III năm 2024", "6 tháng cuối năm 2024"…"""
        if self.kind == "month":
            return f"tháng {self.start.month} năm {self.year}"
        if self.kind == "quarter":
            return f"quý {_ROMAN[(self.start.month - 1) // 3 + 1]} năm {self.year}"
        if self.kind == "half":
            return f"6 tháng {'đầu' if self.start.month == 1 else 'cuối'} năm {self.year}"
        return f"năm {self.year}"

    @property
    def label_vi(self) -> str:
        """A short label for tables and charts: "T9/2024", "Q3/2024", "6T cuối 2024", "2024"."""
        if self.kind == "month":
            return f"T{self.start.month}/{self.year}"
        if self.kind == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1}/{self.year}"
        if self.kind == "half":
            return f"6T {'đầu' if self.start.month == 1 else 'cuối'} {self.year}"
        return str(self.year)

    @property
    def doc_code(self) -> str:
        """The word used in the "Số: …/BC-…" line and file names: BC tháng/quý/6 tháng/năm."""
        return {"month": "thang", "quarter": "quy", "half": "6thang", "year": "nam"}[self.kind]

    def previous(self) -> ReportPeriod:
        """The period of the same kind just before this one."""
        if self.kind == "month":
            y, m = (self.year, self.start.month - 1) if self.start.month > 1 else (self.year - 1, 12)
            return parse_period(f"{y}-{m:02d}")
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            return parse_period(f"{self.year}-Q{q - 1}" if q > 1 else f"{self.year - 1}-Q4")
        if self.kind == "half":
            return parse_period(f"{self.year}-H1" if self.start.month == 7 else f"{self.year - 1}-H2")
        return parse_period(str(self.year - 1))

    def trend_start(self, months: int = 12) -> date:
        """The first day of the trend window: `months` months (at least the period) ending with it."""
        span = max(months, len(self.months))
        index = self.end.year * 12 + self.end.month - 1 - (span - 1)
        return date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> ReportPeriod:
    """Parse a period key; raise PeriodError with a one-sentence reason."""
    match = _PATTERN.match(text.strip())
    if not match:
        raise PeriodError(f"period {text!r} is not one of YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY (e.g. 2024-09).")
    year = int(match["year"])
    if year < 2000 or year > 2999:
        raise PeriodError(f"period {text!r} has an implausible year.")
    kind: PeriodKind
    if match["month"]:
        first = last = int(match["month"])
        if not 1 <= first <= 12:
            raise PeriodError(f"period {text!r} names month {first}, which does not exist.")
        kind, key = "month", f"{year}-{first:02d}"
    elif match["quarter"]:
        q = int(match["quarter"])
        first, last, kind, key = 3 * q - 2, 3 * q, "quarter", f"{year}-Q{q}"
    elif match["half"]:
        h = int(match["half"])
        first, last, kind, key = 6 * h - 5, 6 * h, "half", f"{year}-H{h}"
    else:
        first, last, kind, key = 1, 12, "year", str(year)
    end = date(year, last, calendar.monthrange(year, last)[1])
    return ReportPeriod(key=key, kind=kind, year=year, start=date(year, first, 1), end=end)
