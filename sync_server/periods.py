"""One periods module: periods picked on screen (month, quarter, half, year, custom range) and the
report periods named by one key ("2024-09", "2024-Q3", "2024-H2", "2024").

>>> p = parse_period("quarter", "2024-Q3", None, None, today=date(2024, 9, 3))
>>> (p.date_from, p.date_to, p.previous().key)
(datetime.date(2024, 7, 1), datetime.date(2024, 9, 30), '2024-Q2')
>>> r = parse_report_period("2024-Q3")
>>> (r.kind, r.start.isoformat(), r.end.isoformat(), r.title_vi)
('quarter', '2024-07-01', '2024-09-30', 'quý III năm 2024')
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = [
    "BASES",
    "FIRST_DAY",
    "KINDS",
    "LAST_DAY",
    "Period",
    "PeriodBasis",
    "PeriodError",
    "PeriodKind",
    "ReportPeriod",
    "default_key",
    "month_keys",
    "parse_period",
    "parse_report_period",
    "report_period_closing",
]

KINDS = ("month", "quarter", "half", "year", "custom")
PeriodKind = Literal["month", "quarter", "half", "year"]
# How a unit's report periods run: calendar months, or the cut-off of Nghị định 09/2019/NĐ-CP
# (chế độ báo cáo): from the 15th of the month before to the 14th (reports.md).
PeriodBasis = Literal["calendar", "cutoff"]
BASES: tuple[PeriodBasis, ...] = ("calendar", "cutoff")
CUTOFF_DAY = 14

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])|H(?P<half>[12])))?$")
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class PeriodError(ValueError):
    """A period the user typed or picked does not make sense (one sentence says why)."""


# The days a period may hold: far from the calendar's ends, so the period before (or the month
# after) a chosen one always exists.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)


@dataclass(frozen=True)
class Period:
    """An inclusive date range with the kind and key that produced it."""

    kind: str
    key: str
    date_from: date
    date_to: date

    def previous(self) -> Period:
        """The period of the same kind just before this one (same length for a custom range)."""
        if self.kind == "custom":
            length = (self.date_to - self.date_from).days + 1
            end = self.date_from - timedelta(days=1)
            start = end - timedelta(days=length - 1)
            return Period("custom", f"{start.isoformat()}..{end.isoformat()}", start, end)
        return _from_key(self.kind, _previous_key(self.kind, self.key))

    def label(self, lang: str) -> str:
        """A human label: "Tháng 9/2024", "Quý III/2024", "6 tháng cuối năm 2024", "Năm 2024"."""
        en = lang == "en"
        if self.kind == "month":
            if en:
                return self.date_from.strftime("%B %Y")
            return f"Tháng {self.date_from.month}/{self.date_from.year}"
        if self.kind == "quarter":
            q = (self.date_from.month - 1) // 3 + 1
            return (
                f"Q{q} {self.date_from.year}"
                if en
                else f"Quý {['I', 'II', 'III', 'IV'][q - 1]}/{self.date_from.year}"
            )
        if self.kind == "half":
            first = self.date_from.month == 1
            if en:
                return f"{'First' if first else 'Second'} half of {self.date_from.year}"
            return f"6 tháng {'đầu' if first else 'cuối'} năm {self.date_from.year}"
        if self.kind == "year":
            return str(self.date_from.year) if en else f"Năm {self.date_from.year}"
        fmt = "%Y-%m-%d" if en else "%d/%m/%Y"
        return f"{self.date_from.strftime(fmt)} – {self.date_to.strftime(fmt)}"

    @property
    def query(self) -> dict[str, str]:
        """Query parameters that select this period again."""
        if self.kind == "custom":
            return {"period": "custom", "from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        return {"period": self.kind, "key": self.key}


def default_key(kind: str, today: date) -> str:
    """The key of the period of `kind` that contains `today`."""
    if kind == "month":
        return f"{today.year:04d}-{today.month:02d}"
    if kind == "quarter":
        return f"{today.year:04d}-Q{(today.month - 1) // 3 + 1}"
    if kind == "half":
        return f"{today.year:04d}-H{1 if today.month <= 6 else 2}"
    return f"{today.year:04d}"


def parse_period(
    kind: str | None, key: str | None, date_from: str | None, date_to: str | None, *, today: date
) -> Period:
    """Read the period from query parameters; raise PeriodError for a malformed one."""
    kind = kind or "month"
    if kind not in KINDS:
        raise PeriodError(f"unknown period kind {kind!r}")
    if kind == "custom":
        try:
            start = date.fromisoformat(date_from or "")
            end = date.fromisoformat(date_to or "")
        except ValueError as exc:
            raise PeriodError("a custom period needs two dates YYYY-MM-DD") from exc
        for day in (start, end):
            if not FIRST_DAY <= day <= LAST_DAY:
                raise PeriodError(f"dates run from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")
        if end < start:
            raise PeriodError("the end date is before the start date")
        if (end - start).days > 366 * 5:
            raise PeriodError("a custom period may span at most five years")
        return Period("custom", f"{start.isoformat()}..{end.isoformat()}", start, end)
    return _from_key(kind, key or default_key(kind, today))


_KEY_RE = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "half": re.compile(r"^(\d{4})-H([12])$"),
    "year": re.compile(r"^(\d{4})()$"),
}


def _month_end(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return nxt - timedelta(days=1)


def _from_key(kind: str, key: str) -> Period:
    m = _KEY_RE[kind].match(key)
    if not m:
        raise PeriodError(f"{key!r} is not a {kind} key")
    year = int(m.group(1))
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise PeriodError(f"year {year} is out of range")
    if kind == "month":
        first, last = int(m.group(2)), int(m.group(2))
    elif kind == "quarter":
        q = int(m.group(2))
        first, last = 3 * q - 2, 3 * q
    elif kind == "half":
        h = int(m.group(2))
        first, last = (1, 6) if h == 1 else (7, 12)
    else:
        first, last = 1, 12
    return Period(kind, key, date(year, first, 1), _month_end(year, last))


def _previous_key(kind: str, key: str) -> str:
    p = _from_key(kind, key)
    return default_key(kind, p.date_from - timedelta(days=1))


def month_keys(end: date, count: int) -> list[str]:
    """The `count` month keys ending with the month of `end`, oldest first."""
    y, m = end.year, end.month
    out: list[str] = []
    for _ in range(count):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return list(reversed(out))


# ---------------------------------------------------------------- report periods, named by one key


@dataclass(frozen=True)
class ReportPeriod:
    """One reporting period, with its first and last day (inclusive).

    A cut-off period (NĐ 09/2019) named "2026-03" runs 15/02/2026–14/03/2026; "2026" runs
    15/12/2025–14/12/2026.
    """

    key: str
    kind: PeriodKind
    year: int
    start: date
    end: date
    basis: PeriodBasis = "calendar"

    @property
    def months(self) -> list[str]:
        """The calendar months it touches, as "YYYY-MM"."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    @property
    def title_vi(self) -> str:
        """How the title names it: "tháng 9 năm 2024", "quý III năm 2024", "6 tháng cuối năm 2024"…"""
        last = self.end.month
        if self.kind == "month":
            return f"tháng {last} năm {self.year}"
        if self.kind == "quarter":
            return f"quý {_ROMAN[(last - 1) // 3 + 1]} năm {self.year}"
        if self.kind == "half":
            return f"6 tháng {'đầu' if last <= 6 else 'cuối'} năm {self.year}"
        return f"năm {self.year}"

    @property
    def label_vi(self) -> str:
        """A short label for tables and charts: "T9/2024", "Q3/2024", "6T cuối 2024", "2024"."""
        last = self.end.month
        if self.kind == "month":
            return f"T{last}/{self.year}"
        if self.kind == "quarter":
            return f"Q{(last - 1) // 3 + 1}/{self.year}"
        if self.kind == "half":
            return f"6T {'đầu' if last <= 6 else 'cuối'} {self.year}"
        return str(self.year)

    @property
    def doc_code(self) -> str:
        """The word used in the "Số: …/BC-…" line and file names: BC tháng/quý/6 tháng/năm."""
        return {"month": "thang", "quarter": "quy", "half": "6thang", "year": "nam"}[self.kind]

    def previous(self) -> ReportPeriod:
        """The period of the same kind (and basis) just before this one."""
        last = self.end.month
        if self.kind == "month":
            y, m = (self.year, last - 1) if last > 1 else (self.year - 1, 12)
            key = f"{y}-{m:02d}"
        elif self.kind == "quarter":
            q = (last - 1) // 3 + 1
            key = f"{self.year}-Q{q - 1}" if q > 1 else f"{self.year - 1}-Q4"
        elif self.kind == "half":
            key = f"{self.year}-H1" if last == 12 else f"{self.year - 1}-H2"
        else:
            key = str(self.year - 1)
        return parse_report_period(key, self.basis)

    def trend_start(self, months: int = 12) -> date:
        """The first day of the trend window: `months` months (at least the period) ending with it."""
        span = max(months, len(self.months))
        index = self.end.year * 12 + self.end.month - 1 - (span - 1)
        return date(index // 12, index % 12 + 1, 1)


def _cutoff_start(year: int, month: int) -> date:
    """The 15th of the month before `month` (NĐ 09/2019's first day of a period ending in `month`)."""
    y, m = (year - 1, 12) if month == 1 else (year, month - 1)
    return date(y, m, CUTOFF_DAY + 1)


def parse_report_period(text: str, basis: str = "calendar") -> ReportPeriod:
    """Parse a period key; raise PeriodError with a one-sentence reason.

    >>> parse_report_period("2026-Q1", "cutoff").start
    datetime.date(2025, 12, 15)
    """
    if basis not in BASES:
        raise PeriodError(f"period basis {basis!r} is not one of {', '.join(BASES)}.")
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
    if basis == "cutoff":
        start, end = _cutoff_start(year, first), date(year, last, CUTOFF_DAY)
        return ReportPeriod(key=key, kind=kind, year=year, start=start, end=end, basis="cutoff")
    end = date(year, last, calendar.monthrange(year, last)[1])
    return ReportPeriod(key=key, kind=kind, year=year, start=date(year, first, 1), end=end)


def report_period_closing(kind: PeriodKind, basis: str, today: date) -> ReportPeriod:
    """The latest report period of `kind` that ended before `today` (the one the nightly job sends).

    >>> report_period_closing("month", "cutoff", date(2026, 3, 15)).key
    '2026-03'
    """
    probe = today - timedelta(days=1)
    if basis == "cutoff" and probe.day > CUTOFF_DAY:
        # After the 14th the running cut-off period is already named after the next month.
        probe = date(probe.year + (probe.month == 12), probe.month % 12 + 1, 1)
    period = parse_report_period(default_key(kind, probe), basis)
    return period if period.end < today else period.previous()
