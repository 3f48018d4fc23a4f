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
    "letters.title": ("Phiếu xin lỗi và hẹn lại ngày trả kết quả", "Apology letters (new return date)"),
    "letters.link": (
        "Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04) — hồ sơ trễ hạn",
        "Apology letters for late dossiers (form 04)",
    ),
    "letters.back": ("← Về trang báo cáo", "← Back to reports"),
    "letters.new": ("Lập phiếu cho một hồ sơ trễ hạn", "A letter for one late dossier"),
    "letters.note": (
        "Theo Mẫu 04, Thông tư 01/2018/TT-VPCP. Phiếu được đánh số theo năm và ghi vào sổ.",
        "Form 04 of Circular 01/2018/TT-VPCP. Letters are numbered per year and kept in the register.",
    ),
    "letters.dossier_code": ("Mã hồ sơ", "Dossier code"),
    "letters.procedure": ("Thủ tục hành chính", "Procedure"),
    "letters.applicant": ("Tổ chức, cá nhân", "Citizen or organisation"),
    "letters.received_on": ("Ngày tiếp nhận", "Received on"),
    "letters.promised_on": ("Ngày hẹn trả", "Promised for"),
    "letters.new_on": ("Ngày hẹn trả mới", "New date"),
    "letters.reason": ("Lý do chậm", "Reason for the delay"),
    "letters.make": ("Lập phiếu", "Make the letter"),
    "letters.import": ("Nhập danh sách hồ sơ trễ hạn", "Import a list of late dossiers"),
    "letters.import_note": (
        "Tệp CSV (UTF-8) hoặc XLSX xuất từ hệ thống một cửa, dòng đầu là tên cột:",
        "A CSV (UTF-8) or XLSX file from the one-stop system, first row the column names:",
    ),
    "letters.import_go": ("Nhập và lập phiếu", "Import and make the letters"),
    "letters.import_failed": (
        "Chưa lập phiếu nào: tệp có dòng chưa đúng, hãy sửa rồi nhập lại.",
        "No letter was made: the file has rows to fix; fix them and import again.",
    ),
    "letters.too_big": ("Tệp lớn quá 2 MB.", "The file is larger than 2 MB."),
    "letters.bad_date": ("Ngày chưa đúng (chọn ngày trong ô ngày).", "A date is not valid."),
    "letters.register": ("Sổ theo dõi phiếu xin lỗi", "Register of apology letters"),
    "letters.export": ("Tải sổ (XLSX)", "Download the register (XLSX)"),
    "letters.number": ("Số", "No."),
    "letters.files": ("Tệp", "Files"),
    "letters.empty": ("Chưa có phiếu nào.", "No letter yet."),
    "reports.smtp.title": ("Máy chủ thư (SMTP)", "Mail server (SMTP)"),
    "reports.smtp.note": (
        "Dùng để gửi báo cáo khi kỳ kết thúc. Biến môi trường SURVEY_SMTP_* (nếu có) được ưu tiên. "
        "Để trống mật khẩu thì giữ mật khẩu đã lưu; mật khẩu không bao giờ được hiển thị.",
        "Used to send reports when a period closes. SURVEY_SMTP_* environment variables, if set, win. "
        "Leave the password blank to keep the stored one; it is never shown.",
    ),
    "reports.smtp.host": ("Máy chủ", "Host"),
    "reports.smtp.port": ("Cổng", "Port"),
    "reports.smtp.user": ("Tài khoản", "User"),
    "reports.smtp.password": ("Mật khẩu", "Password"),
    "reports.smtp.kept": ("(đã lưu)", "(stored)"),
    "reports.smtp.sender": ("Địa chỉ gửi", "From address"),
    "reports.smtp.bad": (
        "Cổng phải là số từ 1 đến 65535 và địa chỉ gửi phải là địa chỉ thư.",
        "The port must be 1–65535 and the from address an e-mail address.",
    ),
}
