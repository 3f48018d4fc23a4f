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
    # cases (comments and alerts handled step by step)
    "nav.rules": ("Quy tắc cảnh báo", "Alert rules"),
    "case.filters": ("Lọc", "Filter"),
    "case.search": ("Tìm trong góp ý", "Search comments"),
    "case.search_hint": ("ví dụ: cho lau", "e.g. cho lau"),
    "case.topic": ("Chủ đề", "Topic"),
    "case.topics": ("Chủ đề", "Topics"),
    "case.reasons": ("Lý do cảnh báo", "Why"),
    "case.any": ("Tất cả", "Any"),
    "case.apply": ("Lọc", "Filter"),
    "case.bad_filter": (
        "Một giá trị lọc không hợp lệ đã được bỏ qua.",
        "A filter value was not valid and was ignored.",
    ),
    "case.pages": ("Trang", "Pages"),
    "case.shown": ("{first}–{last} trong {total}", "{first}–{last} of {total}"),
    "case.page_of": ("Trang {page}/{pages}", "Page {page} of {pages}"),
    "case.prev": ("‹ Trang trước", "‹ Previous"),
    "case.next": ("Trang sau ›", "Next ›"),
    "case.export": ("Tải danh sách (CSV, kèm lịch sử xử lý)", "Download the list (CSV, with history)"),
    "case.history": ("Lịch sử xử lý", "History"),
    "case.step": ("Cập nhật xử lý", "Update"),
    "case.new_state": ("Trạng thái mới", "New state"),
    "case.note_help": (
        "Ghi chú bắt buộc khi chuyển sang \u201cđã xử lý\u201d hoặc \u201ckhông cần xử lý\u201d.",
        "A note is required to close a case.",
    ),
    "case.bad_state": ("Trạng thái không hợp lệ.", "Not a valid state."),
    "case.serious_topic": ("Chủ đề nghiêm trọng: {topic}", "Serious topic: {topic}"),
    "case.col.unit_code": ("Mã đơn vị", "Unit code"),
    "case.state.open": ("Chưa xong (mới, đang xử lý, đã liên hệ)", "Open (new, in progress, contacted)"),
    "case.state.all": ("Mọi trạng thái", "Any state"),
    "case.state.moi": ("Mới", "New"),
    "case.state.dang_xu_ly": ("Đang xử lý", "In progress"),
    "case.state.da_lien_he": ("Đã liên hệ công dân", "Citizen contacted"),
    "case.state.da_xu_ly": ("Đã xử lý", "Resolved"),
    "case.state.khong_can_xu_ly": ("Không cần xử lý", "No action needed"),
    "rules.title": ("Quy tắc cảnh báo", "Alert rules"),
    "rules.help": (
        "Quy tắc được xét khi phiếu về máy chủ, cho đơn vị và mọi đơn vị trực thuộc. Chỉ quản trị viên "
        "được thêm hoặc tắt quy tắc.",
        "Rules are checked as ballots arrive, for the unit and every unit below it. Only an "
        "administrator adds or turns off rules.",
    ),
    "rules.rule": ("Quy tắc", "Rule"),
    "rules.by": ("Người tạo", "Set by"),
    "rules.on": ("Đang bật", "On"),
    "rules.off": ("Đã tắt", "Off"),
    "rules.turn_on": ("Bật", "Turn on"),
    "rules.turn_off": ("Tắt", "Turn off"),
    "rules.none": ("Chưa có quy tắc nào.", "No rules yet."),
    "rules.add": ("Thêm quy tắc", "Add a rule"),
    "rules.kind": ("Loại", "Kind"),
    "rules.threshold": ("Ngưỡng (%)", "Threshold (%)"),
    "rules.window": ("Trong (phút)", "Within (minutes)"),
    "rules.min_answers": ("Ít nhất (phiếu)", "At least (answers)"),
    "rules.bad": (
        "Quy tắc chưa hợp lệ: chọn đơn vị và loại, ngưỡng từ 0 đến 100, số phiếu từ 1, "
        "số phút từ 1 đến 1440.",
        "The rule is not valid: choose a unit and kind, a threshold 0–100, at least 1 answer, "
        "1–1440 minutes.",
    ),
    "rules.kind.window_unhappy": ("Nhiều phiếu không hài lòng", "Many dissatisfied"),
    "rules.kind.day_below": ("Chỉ số ngày thấp", "Low day"),
    "rules.kind.month_above": ("Tháng đạt mục tiêu", "Month on target"),
    "rules.describe.window_unhappy": (
        "Tỷ lệ \u201ckhông hài lòng\u201d ≥ {x} % trong {m} phút, ít nhất {k} phiếu",
        "\u201cDissatisfied\u201d ≥ {x} % within {m} minutes, at least {k} answers",
    ),
    "rules.describe.day_below": (
        "Chỉ số hài lòng của một ngày dưới {x} %, ít nhất {k} phiếu",
        "A day's satisfaction index under {x} %, at least {k} answers",
    ),
    "rules.describe.month_above": (
        "Chỉ số hài lòng của tháng từ {x} % trở lên, ít nhất {k} phiếu",
        "A month's satisfaction index at {x} % or more, at least {k} answers",
    ),
    "rules.text.window": (
        "{share} % phiếu không hài lòng ({unhappy}/{answers}) từ {start} đến {end}.",
        "{share} % dissatisfied ({unhappy}/{answers}) from {start} to {end}.",
    ),
    "rules.text.day": (
        "Chỉ số hài lòng ngày {day}: {index} % ({n} phiếu).",
        "Satisfaction index of {day}: {index} % ({n} answers).",
    ),
    "rules.text.month": (
        "Tháng {month} đạt chỉ số hài lòng {index} % ({n} phiếu).",
        "{month}: satisfaction index {index} % ({n} answers).",
    ),
    "ranking.title": ("Xếp hạng đơn vị trực thuộc", "Units below, ranked"),
    "ranking.note": (
        "Xếp hạng theo chỉ số hài lòng; đơn vị dưới {min} phiếu ghi \u201cchưa đủ mẫu\u201d và không xếp "
        "hạng. Bấm tên đơn vị để xem chi tiết.",
        "Ranked by satisfaction index; a unit under {min} ballots says \u201cinsufficient sample\u201d "
        "and is "
        "not ranked. Click a unit to see it.",
    ),
    "fleet.title": ("Tình trạng thiết bị", "Fleet health"),
    "fleet.silent": ("thiết bị không đồng bộ quá hai đêm", "kiosks silent for more than two nights"),
    "fleet.silent_badge": ("quá hai đêm", "over two nights"),
    "fleet.gaps": ("thiết bị có số thứ tự phiếu bị hở", "kiosks with gaps in their ballot numbers"),
    "fleet.lost": ("phiếu bị mất (đối chiếu sổ phiếu)", "ballots lost (ledger check)"),
    "fleet.clock": ("thiết bị lệch đồng hồ từ 5 phút", "kiosks with a clock 5 minutes or more off"),
    "fleet.apps": ("Phiên bản ứng dụng đang chạy", "App versions running"),
    "fleet.storage": (
        "Dung lượng trống của máy chưa được thiết bị gửi lên; sẽ hiện khi ứng dụng kiosk báo cáo.",
        "Free storage is not reported by the kiosks yet; it will show once the kiosk app sends it.",
    ),
    "period.running": ("đang diễn ra (đến ngày {day})", "still running (up to {day})"),
    "nav.when": ("Thời gian, quầy", "When, where"),
    "when.title": ("Thời gian và quầy", "When and where"),
    "when.grid": ("Theo giờ trong ngày và thứ trong tuần", "By hour of day and weekday"),
    "when.day": ("Thứ", "Day"),
    "when.all": ("Cả kỳ", "All"),
    "when.note": (
        "Mỗi ô: chỉ số hài lòng (%) và số phiếu; ô dưới {min} phiếu chỉ ghi số phiếu (\u201c·\u201d). "
        "Giờ theo giờ địa phương lúc người dân đánh giá.",
        "Each cell: satisfaction index (%) and ballots; a cell under {min} ballots shows only its count "
        "(\u201c·\u201d). Hours are local, when the citizen answered.",
    ),
    "when.counters": ("Theo quầy (thiết bị)", "By counter (kiosk)"),
    "when.counter": ("Quầy", "Counter"),
}
