"""Assemble a periodic report from the indices API and render it as XLSX, DOCX or PDF.

The figures come only from an `indices(from, to, by, period)` function returning the body of
`GET /api/v1/indices`; on the server it is `sync_server.queries.indices_for` bound to a session.

>>> data = assemble_report(unit, parse_period("2024-Q3"), indices, labels, min_sample=30)
>>> render(data, "pdf")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Literal

from sync_server.reports.content import Comment, Labels, ReportData, StaffInfo, UnitInfo
from sync_server.reports.periods import ReportPeriod

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "IndicesFn",
    "ReportFormat",
    "assemble_report",
    "render",
    "report_filename",
]

ReportFormat = Literal["xlsx", "docx", "pdf"]
FORMATS: tuple[ReportFormat, ...] = ("xlsx", "docx", "pdf")
MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}

# (from, to, by, period) -> the body of GET /api/v1/indices
IndicesFn = Callable[[date, date, str, str], Mapping[str, Any]]


def report_filename(unit_code: str, period_key: str, fmt: str) -> str:
    """The download name of a report: "bao-cao-XA-DEMO-2024-Q3.pdf" (ASCII, safe in any browser)."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in unit_code)
    return f"bao-cao-{safe}-{period_key}.{fmt}"


def _single(response: Mapping[str, Any]) -> Mapping[str, Any] | None:
    rows = response.get("rows") or []
    return rows[0] if rows else None


def assemble_report(
    unit: UnitInfo,
    period: ReportPeriod,
    indices: IndicesFn,
    labels: Labels,
    *,
    min_sample: int,
    staff: Mapping[str, StaffInfo] | None = None,
    comments: Sequence[Comment] = (),
    comment_count: int = 0,
    contact_count: int = 0,
    issued_on: date | None = None,
    trend_months: int = 12,
    by_staff: bool = True,
) -> ReportData:
    """Ask `indices` for the period, the previous period, each officer and the monthly trend.

    A parent unit's report lists its child units instead of officers: pass by_staff=False there.
    """
    current = indices(period.start, period.end, "none", "month")
    before = period.previous()
    previous = indices(before.start, before.end, "none", "month")
    staff_rows = indices(period.start, period.end, "staff", "month").get("rows") if by_staff else []
    trend = indices(period.trend_start(trend_months), period.end, "period", "month")
    return ReportData(
        unit=unit,
        period=period,
        method=str(current.get("method", "")),
        min_sample=min_sample,
        overall=_single(current),
        previous=_single(previous),
        staff_rows=list(staff_rows or []),
        trend=list(trend.get("rows") or []),
        labels=labels,
        staff=dict(staff or {}),
        comments=list(comments),
        comment_count=comment_count,
        contact_count=contact_count,
        issued_on=issued_on or date.today(),
    )


def render(data: ReportData, fmt: str) -> bytes:
    """The report in one of FORMATS, as bytes."""
    # Renderers load on use: matplotlib and reportlab take a second to import; few requests need them.
    if fmt == "xlsx":
        from sync_server.reports.xlsx_report import render_xlsx

        return render_xlsx(data)
    if fmt == "docx":
        from sync_server.reports.docx_report import render_docx

        return render_docx(data)
    if fmt == "pdf":
        from sync_server.reports.pdf_report import render_pdf

        return render_pdf(data)
    raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}.")
