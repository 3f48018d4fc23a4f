"""Dashboard strings of the officers' changes, cases, topics, the province ranking and the "when" tab
(kept apart from `i18n.STRINGS` so each part's strings sit together; merged into it at import)."""

from __future__ import annotations

__all__ = ["MORE_STRINGS"]

MORE_STRINGS: dict[str, tuple[str, str]] = {
    "officers.change": ("Thay đổi", "Change"),
    "officers.trend": ("6 tháng", "6 months"),
    "officers.trend_of": ("Chỉ số hài lòng 6 tháng của {name}", "{name}: satisfaction, 6 months"),
    "officers.improved": ("Tiến bộ nhiều nhất", "Most improved"),
    "officers.declined": ("Giảm nhiều nhất", "Most declined"),
    "officers.no_moves": (
        "Chưa có công chức nào đủ mẫu ở cả hai kỳ để so sánh.",
        "No officer has enough ballots in both periods to compare.",
    ),
    "officers.change_note": (
        "Thay đổi: điểm phần trăm so với kỳ trước; \u201cchưa đủ mẫu\u201d khi một trong hai kỳ "
        "dưới {min} phiếu.",
        "Change: percentage points against the previous period; \u201cinsufficient sample\u201d when either "
        "period has under {min} ballots.",
    ),
    "sort.by": ("Sắp xếp theo {col}", "Sort by {col}"),
    "sort.asc": ("tăng dần", "ascending"),
    "sort.desc": ("giảm dần", "descending"),
}
