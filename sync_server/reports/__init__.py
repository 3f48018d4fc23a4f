"""Periodic reports (XLSX, DOCX, PDF) and exports (CSV, XLSX) built from the indices API's figures.

>>> from sync_server.reports import parse_period, assemble_report, render
>>> from sync_server.reports.exports import ballots_csv, figures_xlsx
>>> from sync_server.reports.service import build_report   # on the server: figures via queries.indices_for
>>> build_report(session, "XA-DEMO", "2024-Q3", "pdf", min_sample=30)  # bytes; MEDIA_TYPES, report_filename
"""

from sync_server.reports.build import FORMATS, MEDIA_TYPES, assemble_report, render, report_filename
from sync_server.reports.content import Comment, Labels, ReportData, StaffInfo, UnitInfo
from sync_server.reports.periods import PeriodError, ReportPeriod, parse_period

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "Comment",
    "Labels",
    "PeriodError",
    "ReportData",
    "ReportPeriod",
    "StaffInfo",
    "UnitInfo",
    "assemble_report",
    "parse_period",
    "render",
    "report_filename",
]
