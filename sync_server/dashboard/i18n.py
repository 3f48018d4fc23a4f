"""Dashboard wording in Vietnamese (default) and English.

>>> t = translator("en")
>>> t("nav.overview")
'Overview'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from .i18n_more import MORE_STRINGS
from .i18n_phone import PHONE_STRINGS
from .i18n_reports import REPORT_STRINGS

__all__ = ["LANGS", "STRINGS", "translator"]

LANGS = ("vi", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("Chính quyền thân thiện", "Friendly government"),
    "app.subtitle": ("Mức độ hài lòng của người dân", "Citizens' satisfaction"),
    "nav.overview": ("Tổng quan", "Overview"),
    "nav.officers": ("Công chức", "Officers"),
    "nav.items": ("Câu hỏi", "Items"),
    "nav.alerts": ("Cảnh báo", "Alerts"),
    "nav.comments": ("Góp ý", "Comments"),
    "nav.devices": ("Thiết bị", "Devices"),
    "nav.staff": ("Danh sách công chức", "Staff list"),
    "nav.surveys": ("Phiếu khảo sát", "Surveys"),
    "nav.exports": ("Xuất dữ liệu", "Exports"),
    "nav.reports": ("Báo cáo", "Reports"),
    "nav.logout": ("Đăng xuất", "Log out"),
    "nav.menu": ("Trình đơn", "Menu"),
    "lang.switch": ("English", "Tiếng Việt"),
    "login.title": ("Đăng nhập", "Log in"),
    "login.username": ("Tên đăng nhập", "User name"),
    "login.password": ("Mật khẩu", "Password"),
    "login.submit": ("Đăng nhập", "Log in"),
    "login.failed": ("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong user name or password."),
    "login.limited": (
        "Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau ít phút.",
        "Too many failed log-ins. Please try again in a few minutes.",
    ),
    "login.signed_in_as": ("Đang đăng nhập:", "Signed in as"),
    "csrf.failed": (
        "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại.",
        "Your session expired or the form is not valid. Please reload the page and try again.",
    ),
    "error.forbidden": ("Ông/Bà không có quyền xem nội dung này.", "You may not see this page."),
    "error.not_found": ("Không tìm thấy trang.", "Page not found."),
    "error.back": ("Về trang tổng quan", "Back to the overview"),
    "role.admin": ("Quản trị", "Administrator"),
    "role.leader": ("Lãnh đạo", "Leader"),
    "role.viewer": ("Xem", "Viewer"),
    "unit": ("Đơn vị", "Unit"),
    "period": ("Kỳ", "Period"),
    "period.month": ("Tháng", "Month"),
    "period.quarter": ("Quý", "Quarter"),
    "period.half": ("6 tháng", "Half-year"),
    "period.year": ("Năm", "Year"),
    "period.custom": ("Tùy chọn", "Custom"),
    "period.from": ("Từ ngày", "From"),
    "period.to": ("Đến ngày", "To"),
    "period.show": ("Xem", "Show"),
    "period.bad": ("Kỳ không hợp lệ; đang hiển thị tháng hiện tại.", "Invalid period; showing this month."),
    "index.satisfaction": ("Chỉ số hài lòng", "Satisfaction index"),
    "index.friendly": ("Chỉ số thân thiện", "Friendly index"),
    "index.service": ("Chỉ số phục vụ hành chính", "Public service index"),
    "index.mean": ("Điểm trung bình", "Mean score"),
    "index.ci": ("Khoảng tin cậy 95%", "95% interval"),
    "index.n": ("Số phiếu", "Ballots"),
    "index.no_data": ("Chưa có dữ liệu", "No data yet"),
    "index.insufficient": ("chưa đủ mẫu", "insufficient sample"),
    "index.insufficient_note": (
        "Dưới {min} phiếu: số liệu chỉ để tham khảo, không xếp hạng.",
        "Under {min} ballots: figures are indicative only, not ranked.",
    ),
    "change.vs_previous": ("so với kỳ trước", "vs previous period"),
    "change.up": ("tăng", "up"),
    "change.down": ("giảm", "down"),
    "change.same": ("không đổi", "unchanged"),
    "change.none": ("không có kỳ trước để so sánh", "no previous period to compare"),
    "overview.title": ("Tổng quan", "Overview"),
    "overview.groups": ("Các nhóm tiêu chí thân thiện", "Friendly conduct groups"),
    "overview.sipas": ("Các yếu tố phục vụ hành chính", "Public service elements"),
    "overview.trend": ("Xu hướng 13 tháng", "13-month trend"),
    "overview.trend_note": (
        "Đường: chỉ số hài lòng; vùng mờ: khoảng tin cậy 95%; chấm rỗng: chưa đủ mẫu.",
        "Line: satisfaction index; shaded: 95% interval; hollow dot: insufficient sample.",
    ),
    "overview.to_act": ("Cần xử lý", "To act on"),
    "overview.no_alerts": ("Không có cảnh báo nào cần xử lý.", "Nothing to act on."),
    "overview.see_all_alerts": ("Xem tất cả cảnh báo", "See all alerts"),
    "overview.month": ("Tháng", "Month"),
    "officers.title": ("Công chức", "Officers"),
    "officers.rank": ("Hạng", "Rank"),
    "officers.name": ("Họ và tên", "Name"),
    "officers.counter": ("Quầy", "Counter"),
    "officers.unknown": ("Không rõ công chức", "Officer not known"),
    "officers.sub_units": ("Các đơn vị trực thuộc", "Units below"),
    "officers.pick_unit": (
        "Mã công chức chỉ duy nhất trong một xã: chọn một đơn vị ở trên để xem từng công chức.",
        "Officer ids are unique within one commune only: pick a unit above to see its officers.",
    ),
    "officers.detail": ("Chi tiết", "Details"),
    "officers.by_item": ("Theo câu hỏi", "By item"),
    "officers.by_month": ("Theo tháng", "By month"),
    "officers.no_single": (
        "Chỉ hiển thị số liệu tổng hợp; không hiển thị từng phiếu.",
        "Only aggregate figures are shown, never single ballots.",
    ),
    "items.title": ("Câu hỏi", "Items"),
    "items.question": ("Câu hỏi", "Question"),
    "items.group": ("Nhóm", "Group"),
    "items.index": ("Chỉ số", "Index"),
    "items.compliance": ("Tỷ lệ không vi phạm", "Compliance"),
    "items.option": ("Hành vi", "Behaviour"),
    "items.count": ("Số lượt", "Count"),
    "items.rate": ("Tỷ lệ", "Rate"),
    "items.nam_khong": ("Chi tiết \u201c5 không\u201d", "\u201c5 không\u201d details"),
    "alerts.title": ("Cảnh báo", "Alerts"),
    "alerts.kind.violation": ("Vi phạm \u201c5 không\u201d", "\u201c5 không\u201d violation"),
    "alerts.kind.very_dissatisfied": ("Rất không hài lòng", "Very dissatisfied"),
    "alerts.when": ("Thời điểm", "When"),
    "alerts.kind": ("Loại", "Kind"),
    "alerts.officer": ("Công chức", "Officer"),
    "alerts.details": ("Nội dung", "Details"),
    "alerts.state": ("Trạng thái", "State"),
    "alerts.open": ("Cần xử lý", "To act on"),
    "alerts.acked": ("Đã xác nhận", "Acknowledged"),
    "alerts.ack": ("Xác nhận đã xử lý", "Acknowledge"),
    "alerts.note": ("Ghi chú xử lý", "Note"),
    "alerts.note_required": ("Vui lòng nhập ghi chú xử lý.", "Please write a note."),
    "alerts.acked_by": ("Xác nhận bởi {who} lúc {when}", "Acknowledged by {who} at {when}"),
    "alerts.none": ("Không có cảnh báo trong kỳ này.", "No alerts in this period."),
    "alerts.show_all": (
        "Hiện cả cảnh báo đã xác nhận trong kỳ",
        "Show acknowledged alerts of the period too",
    ),
    "alerts.only_open": ("Chỉ hiện cảnh báo cần xử lý", "Show only alerts to act on"),
    "alerts.shown": (
        "Hiển thị {shown} / {total} cảnh báo mới nhất.",
        "Showing the latest {shown} of {total} alerts.",
    ),
    "alerts.violations": ("Hành vi đã gặp", "Behaviour encountered"),
    "comments.title": ("Góp ý của người dân", "Citizens' comments"),
    "comments.text": ("Góp ý", "Comment"),
    "comments.phone": ("Điện thoại", "Phone"),
    "comments.phone_hidden": ("(chỉ lãnh đạo xem được)", "(leaders only)"),
    "comments.handled": ("Đã xử lý", "Handled"),
    "comments.unhandled": ("Chưa xử lý", "Not handled"),
    "comments.mark_handled": ("Đánh dấu đã xử lý", "Mark as handled"),
    "comments.mark_unhandled": ("Đánh dấu chưa xử lý", "Mark as not handled"),
    "comments.none": ("Không có góp ý trong kỳ này.", "No comments in this period."),
    "comments.rating": ("Đánh giá", "Rating"),
    "comments.erase_phone": ("Xoá số theo yêu cầu", "Erase on request"),
    "comments.erase_phone_help": (
        "Người dân yêu cầu xoá: số này bị xoá khỏi mọi phiếu của đơn vị; phiếu và góp ý vẫn giữ.",
        "The citizen asked: this number is erased from every ballot of the unit; ballots and comments stay.",
    ),
    "comments.erase_phone_do": ("Xoá số điện thoại này", "Erase this phone number"),
    "devices.title": ("Thiết bị", "Devices"),
    "devices.name": ("Tên thiết bị", "Device"),
    "devices.last_seen": ("Lần kết nối cuối", "Last seen"),
    "devices.gaps": ("Phiếu còn thiếu (theo số thứ tự)", "Missing ballots (by seq)"),
    "devices.lost": ("Phiếu đã mất (cả máy và máy chủ)", "Ballots lost (on both sides)"),
    "devices.max_seq": ("Số thứ tự cao nhất", "Highest seq"),
    "devices.offset": ("Lệch đồng hồ", "Clock offset"),
    "devices.app": ("Phiên bản ứng dụng", "App version"),
    "devices.config": ("Phiên bản cấu hình", "Config version"),
    "devices.status": ("Trạng thái", "Status"),
    "devices.active": ("Đang hoạt động", "Active"),
    "devices.revoked": ("Đã thu hồi", "Revoked"),
    "devices.revoke": ("Thu hồi", "Revoke"),
    "devices.revoke_confirm": (
        "Thu hồi thiết bị này? Thiết bị sẽ không gửi được phiếu nữa.",
        "Revoke this device? It will no longer be able to send ballots.",
    ),
    "devices.never": ("Chưa kết nối", "Never"),
    "devices.none": ("Chưa có thiết bị nào.", "No devices yet."),
    "devices.new_code": ("Tạo mã đăng ký thiết bị", "Create an enrolment code"),
    "devices.code_is": (
        "Mã đăng ký (dùng một lần, hết hạn sau 24 giờ):",
        "Enrolment code (single use, expires in 24 hours):",
    ),
    "staff.title": ("Danh sách công chức", "Staff list"),
    "staff.import": ("Nhập từ tệp CSV", "Import from a CSV file"),
    "staff.import_help": (
        "Các cột: id,name,title,counter,photo (tệp CSV UTF-8, tối đa 2 MB). Công chức không có trong tệp "
        "sẽ bị ngừng hoạt động, không bị xóa. Cột photo được bỏ qua: đổi ảnh từng người ở bảng dưới.",
        "Columns: id,name,title,counter,photo (CSV UTF-8, at most 2 MB). Officers missing from the file are "
        "deactivated, never deleted. The photo column is ignored: change photos one by one below.",
    ),
    "staff.file": ("Tệp CSV", "CSV file"),
    "staff.upload": ("Tải lên", "Upload"),
    "staff.imported": (
        "Đã nhập: {created} mới, {updated} cập nhật, {deactivated} ngừng hoạt động.",
        "Imported: {created} new, {updated} updated, {deactivated} deactivated.",
    ),
    "staff.id": ("Mã", "Id"),
    "staff.job": ("Chức danh", "Title"),
    "staff.photo": ("Ảnh", "Photo"),
    "staff.photo_upload": ("Đổi ảnh", "Change photo"),
    "staff.photo_saved": ("Đã lưu ảnh.", "Photo saved."),
    "staff.photo_bad": (
        "Ảnh phải là tệp PNG, JPEG hoặc WebP, tối đa 5 MB.",
        "The photo must be a PNG, JPEG or WebP file, at most 5 MB.",
    ),
    "staff.deactivate": ("Ngừng hoạt động", "Deactivate"),
    "staff.reactivate": ("Kích hoạt lại", "Reactivate"),
    "staff.inactive": ("Ngừng hoạt động", "Inactive"),
    "staff.active": ("Đang làm việc", "Active"),
    "surveys.title": ("Phiếu khảo sát", "Surveys"),
    "surveys.version": ("Phiên bản", "Version"),
    "surveys.hash": ("Mã nội dung", "Content hash"),
    "surveys.loaded": ("Ngày nạp", "Loaded"),
    "surveys.preview": ("Xem trước", "Preview"),
    "surveys.questions": ("Câu hỏi", "Questions"),
    "surveys.type": ("Loại", "Type"),
    "surveys.scale": ("Thang đánh giá", "Scale"),
    "exports.title": ("Xuất dữ liệu", "Exports"),
    "exports.ballots": ("Phiếu khảo sát", "Ballots"),
    "exports.figures": ("Số liệu chỉ số", "Figures"),
    "exports.note": (
        "Tệp xuất theo đúng đơn vị và kỳ đang chọn.",
        "Files follow the unit and period selected on screen.",
    ),
    "reports.title": ("Báo cáo", "Reports"),
    "reports.kind": ("Loại báo cáo", "Kind of report"),
    "reports.kind.month": ("Báo cáo tháng", "Monthly report"),
    "reports.kind.quarter": ("Báo cáo quý", "Quarterly report"),
    "reports.kind.half": ("Báo cáo 6 tháng", "Half-yearly report"),
    "reports.kind.year": ("Báo cáo năm", "Yearly report"),
    "reports.to.month": (
        "Bộ phận Tiếp nhận và Trả kết quả báo cáo Chủ tịch UBND.",
        "From the one-stop office to the chairman of the People's Committee.",
    ),
    "reports.to.up": (
        "UBND báo cáo cơ quan cấp trên (đơn vị có đơn vị trực thuộc: so sánh các đơn vị trực thuộc).",
        "From the People's Committee to the level above (a unit with units below compares them).",
    ),
    "reports.period": ("Kỳ báo cáo", "Period"),
    "reports.running": ("đang diễn ra", "still running"),
    "reports.format": ("Định dạng tệp", "File format"),
    "reports.format.pdf": ("PDF — để in và gửi", "PDF — to print and send"),
    "reports.format.docx": ("DOCX — Word, sửa và ký được", "DOCX — Word, to edit and sign"),
    "reports.format.xlsx": ("XLSX — Excel, bảng số liệu", "XLSX — Excel, the figures as tables"),
    "reports.download": ("Tải báo cáo", "Download the report"),
    "reports.summary": (
        "{period}: {n} phiếu, chỉ số hài lòng chung {index}.",
        "{period}: {n} ballots, satisfaction index {index}.",
    ),
    "reports.empty": (
        "{period} chưa có phiếu đánh giá nào. Báo cáo vẫn được lập và ghi rõ điều này.",
        "No ballots in {period}. The report can still be made and says so.",
    ),
    "reports.insufficient": (
        "Dưới {min} phiếu: báo cáo ghi \u201cchưa đủ mẫu\u201d, số liệu chỉ để tham khảo.",
        "Under {min} ballots: the report says \u201cinsufficient sample\u201d; figures are indicative only.",
    ),
    "reports.note": (
        "Số liệu lấy đúng như trang Tổng quan (cùng phương pháp tính). Báo cáo trích tối đa 10 góp ý của "
        "người dân, không có số điện thoại. Số văn bản và người ký để trống cho văn thư và lãnh đạo điền.",
        "Figures are those of the overview (same method). The report quotes up to 10 citizens' comments, "
        "never phone numbers. The document number and the signer are left blank for the office to fill in.",
    ),
    "reports.bad_period": (
        "Kỳ báo cáo không hợp lệ; hãy chọn lại trong danh sách.",
        "That report period is not valid; please pick one from the list.",
    ),
    "reports.future": (
        "Kỳ báo cáo này chưa bắt đầu; hãy chọn một kỳ đã qua.",
        "That period has not begun yet; please pick a past one.",
    ),
    "reports.bad_format": (
        "Hãy chọn định dạng PDF, DOCX hoặc XLSX.",
        "Please choose PDF, DOCX or XLSX.",
    ),
    "common.yes": ("Có", "Yes"),
    "common.no": ("Không", "No"),
    "common.save": ("Lưu", "Save"),
    "common.all_units": ("Tất cả đơn vị", "All units"),
    "common.done": ("Đã lưu.", "Saved."),
}

STRINGS.update(MORE_STRINGS)
STRINGS.update(REPORT_STRINGS)
STRINGS.update(PHONE_STRINGS)


def translator(lang: str) -> Callable[..., str]:
    """Return `t(key, **fmt)` for `lang` ("vi" or "en"); an unknown key shows itself."""
    index = 1 if lang == "en" else 0

    def t(key: str, **fmt: object) -> str:
        pair = STRINGS.get(key)
        if pair is None:
            return key
        text = pair[index]
        return text.format(**fmt) if fmt else text

    return t


def _check_nfc() -> None:
    for key, pair in STRINGS.items():
        for text in pair:
            if unicodedata.normalize("NFC", text) != text:
                raise ValueError(f"dashboard string {key!r} is not NFC")


_check_nfc()
