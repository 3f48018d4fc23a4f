"""Periodic reports (XLSX, DOCX, PDF) and exports (CSV, XLSX) built from the indices API's figures.

>>> from sync_server.reports import parse_period, assemble_report, render
>>> from sync_server.reports.exports import ballots_csv, figures_xlsx
"""

from sync_server.reports.build import FORMATS, MEDIA_TYPES, assemble_report, render
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
]
