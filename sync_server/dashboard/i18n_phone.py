"""Dashboard strings of the phone-ballot tab: desk slips, the web switch and the office's channels."""

from __future__ import annotations

__all__ = ["PHONE_STRINGS"]

PHONE_STRINGS: dict[str, tuple[str, str]] = {
    "nav.phone": ("Đánh giá qua điện thoại", "Phone ratings"),
    "phone.title": ("Đánh giá trên điện thoại", "Ratings on the phone"),
    "phone.slips": ("In phiếu QR để bàn", "Print desk QR slips"),
    "phone.slips_help": (
        "Mỗi phiếu là một mã QR dùng một lần: người dân quét bằng điện thoại để đánh giá kín. In 8 phiếu "
        "một trang A4, phát tận tay hoặc đính kèm giấy tiếp nhận hồ sơ và hẹn trả kết quả. Phiếu ghi mã hồ "
        "sơ thì mỗi hồ sơ chỉ được đánh giá một lần.",
        "Each slip is a single-use QR code a citizen scans to rate privately. 8 slips per A4 page, to hand "
        "out or staple to the dossier receipt. A slip carrying a dossier code gives that dossier one rating.",
    ),
    "phone.officer": ("Cán bộ", "Officer"),
    "phone.no_officer": ("Không ghi cán bộ (người dân tự chọn)", "No officer (the citizen chooses)"),
    "phone.blank": ("Số phiếu không ghi mã hồ sơ", "Slips without a dossier code"),
    "phone.dossiers": ("Mã hồ sơ (mỗi dòng một mã, mỗi mã một phiếu)", "Dossier codes (one per line)"),
    "phone.days": ("Dùng được trong (ngày)", "Valid for (days)"),
    "phone.print": ("Tạo tệp PDF để in", "Make the PDF to print"),
    "phone.off_note": (
        "Đơn vị chưa bật đánh giá trên điện thoại: phiếu in ra chỉ dùng được sau khi quản trị viên bật.",
        "Phone ratings are off for this unit: printed slips work only once an administrator turns them on.",
    ),
    "phone.settings": ("Kênh liên hệ của cơ quan", "The office's channels"),
    "phone.settings_help": (
        "Máy đánh giá hiển thị đường dây nóng và mã QR của từng kênh; trang đánh giá trên điện thoại liệt "
        "kê các kênh ở trang cuối.",
        "Kiosks show the hotline and a QR code per channel; the phone rating lists them on its last page.",
    ),
    "phone.enabled": ("Bật đánh giá trên điện thoại", "Turn phone ratings on"),
    "phone.enabled_help": (
        "Chỉ bật khi máy chủ truy cập được từ Internet (xem hướng dẫn triển khai).",
        "Turn on only when the server is reachable from the internet (see the deployment guide).",
    ),
    "phone.hotline": ("Đường dây nóng", "Hotline"),
    "phone.feedback_box": ("Hòm thư góp ý (nơi đặt)", "Feedback box (where)"),
    "phone.email": ("Thư điện tử", "E-mail"),
    "phone.zalo": ("Zalo (số hoặc đường dẫn)", "Zalo (number or link)"),
    "phone.facebook": ("Facebook (đường dẫn trang)", "Facebook (page link)"),
    "phone.saved": ("Đã lưu.", "Saved."),
    "phone.too_long": ("{field}: dài quá {max} ký tự.", "{field}: longer than {max} characters."),
    "phone.bad_count": (
        "Số phiếu phải từ 1 đến {max}, và mỗi mã hồ sơ không quá 64 ký tự.",
        "Between 1 and {max} slips, and dossier codes of at most 64 characters.",
    ),
    "phone.bad_days": ("Số ngày phải từ 1 đến 365.", "Days must be 1 to 365."),
    "phone.unknown_officer": ("Không có cán bộ này trong đơn vị.", "No such officer in this unit."),
    "phone.source": ("Nguồn phiếu", "Ballot source"),
    "phone.source_all": ("Tất cả", "All"),
    "phone.source_kiosk": ("Máy tại quầy", "Counter kiosk"),
    "phone.source_web": ("Điện thoại", "Phone"),
}
