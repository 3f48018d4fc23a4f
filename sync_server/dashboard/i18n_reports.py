"""Dashboard strings of the reports tab's e-mail sending (merged into `i18n.STRINGS` at import)."""

from __future__ import annotations

__all__ = ["REPORT_STRINGS"]

REPORT_STRINGS: dict[str, tuple[str, str]] = {
    "reports.mail.title": ("Gửi báo cáo qua thư điện tử", "Reports by e-mail"),
    "reports.mail.note": (
        "Khi một kỳ kết thúc, hệ thống tự gửi báo cáo (PDF và DOCX) của kỳ đó tới các địa chỉ dưới đây, "
        "mỗi kỳ một lần. Nếu chưa gửi được, hệ thống thử lại vào đêm hôm sau.",
        "When a period closes the server e-mails its report (PDF and DOCX) to the addresses below, once "
        "per period. A failure is retried the next night.",
    ),
    "reports.mail.to": ("Người nhận", "Recipients"),
    "reports.mail.one_per_line": ("(mỗi dòng một địa chỉ thư)", "(one e-mail address a line)"),
    "reports.mail.saved": ("Đã lưu danh sách người nhận báo cáo.", "The report recipients are saved."),
    "reports.mail.bad": (
        "Có địa chỉ thư điện tử không hợp lệ (ví dụ đúng: chutich@xa.gov.vn); danh sách chưa được lưu.",
        "An e-mail address is not valid (e.g. chutich@xa.gov.vn); the list was not saved.",
    ),
    "reports.mail.none": ("Chưa chọn người nhận.", "No recipient chosen."),
    "reports.mail.period": ("Kỳ", "Period"),
    "reports.mail.status": ("Tình trạng", "Status"),
    "reports.mail.sent": ("Đã gửi", "Sent"),
    "reports.mail.failed": (
        "Chưa gửi được — sẽ thử lại đêm nay",
        "Not sent — will be retried tonight",
    ),
    "reports.mail.attempts": ("Số lần gửi", "Attempts"),
    "reports.mail.at": ("Lần gần nhất", "Last attempt"),
    "reports.mail.empty": ("Chưa có báo cáo nào được gửi.", "No report has been sent yet."),
}
