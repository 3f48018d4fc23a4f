"""Report periods: a re-export of `sync_server.periods`, the one periods module (kept for reports/*).

>>> parse_period("2024-09").title_vi
'tháng 9 năm 2024'
"""

from sync_server.periods import PeriodError, PeriodKind, ReportPeriod
from sync_server.periods import parse_report_period as parse_period

__all__ = ["PeriodError", "PeriodKind", "ReportPeriod", "parse_period"]
