"""The kiosk's own words in Vietnamese and English (questions come from the survey).

>>> tr("start", "vi")
'Bắt đầu đánh giá'
"""

from __future__ import annotations

import unicodedata

__all__ = ["QUICK_COMMENTS", "STRINGS", "tr"]

STRINGS: dict[str, dict[str, str]] = {
    # Welcome
    "greeting": {"vi": "Kính chào Ông/Bà!", "en": "Welcome!"},
    "invite": {
        "vi": "Xin Ông/Bà dành một phút cho biết mức độ hài lòng với sự phục vụ hôm nay.",
        "en": "Please take one minute to tell us how satisfied you are with today's service.",
    },
    "start": {"vi": "Bắt đầu đánh giá", "en": "Start"},
    "anonymous": {
        "vi": "Phiếu đánh giá không ghi tên Ông/Bà. Cán bộ không xem được từng phiếu.",
        "en": "Your rating carries no name. Officers never see single ratings.",
    },
    "lang_vi": {"vi": "Tiếng Việt", "en": "Tiếng Việt"},
    "lang_en": {"vi": "English", "en": "English"},
    "big_text": {"vi": "Chữ to", "en": "Larger text"},
    "normal_text": {"vi": "Chữ bình thường", "en": "Normal text"},
    # Audio mode (kiosk/ui/speech.py)
    "audio": {"vi": "Đọc to / Nghe hướng dẫn", "en": "Read aloud / Spoken guidance"},
    "audio_stop": {"vi": "Tắt đọc to", "en": "Stop reading aloud"},
    "repeat": {"vi": "Đọc lại", "en": "Read again"},
    "high_contrast": {"vi": "Tương phản cao", "en": "High contrast"},
    "normal_colours": {"vi": "Màu bình thường", "en": "Normal colours"},
    "softer": {"vi": "Nhỏ hơn", "en": "Softer"},
    "louder": {"vi": "To hơn", "en": "Louder"},
    "cooldown": {
        "vi": "Xin Ông/Bà chờ giây lát rồi bấm lại.",
        "en": "Please wait a moment, then tap again.",
    },
    "unit_fallback": {"vi": "Bộ phận tiếp nhận và trả kết quả", "en": "One-stop service desk"},
    "model_name": {"vi": "Chính quyền thân thiện", "en": "Friendly government"},
    # Outside the opening hours
    "closed_title": {"vi": "Ngoài giờ làm việc", "en": "Outside opening hours"},
    "closed_hours": {
        "vi": "Xin mời Ông/Bà quay lại đánh giá trong giờ làm việc:",
        "en": "Please come back during opening hours to rate our service:",
    },
    # Navigation
    "back": {"vi": "Quay lại", "en": "Back"},
    "skip": {"vi": "Bỏ qua", "en": "Skip"},
    "next": {"vi": "Tiếp tục", "en": "Continue"},
    "not_applicable": {"vi": "Không áp dụng", "en": "Not applicable"},
    "progress": {"vi": "Câu {done} / {total}", "en": "Question {done} of {total}"},
    # After the overall rating
    "offer_question": {
        "vi": "Ông/Bà có muốn trả lời thêm vài câu ngắn không?",
        "en": "Would you answer a few more short questions?",
    },
    "send_now": {"vi": "Gửi đánh giá", "en": "Send my rating"},
    "answer_more": {"vi": "Trả lời thêm", "en": "Answer more"},
    # The idle warning
    "still_question": {
        "vi": "Ông/Bà có cần thêm thời gian không?",
        "en": "Do you need more time?",
    },
    "still_countdown": {
        "vi": "Nếu không, phiếu đánh giá sẽ tự kết thúc sau {seconds} giây.",
        "en": "If not, the rating will end by itself in {seconds} seconds.",
    },
    "still_continue": {"vi": "Tiếp tục", "en": "Continue"},
    # Officer
    "staff_question": {"vi": "Cán bộ nào đã phục vụ Ông/Bà?", "en": "Which officer served you?"},
    "staff_unknown": {"vi": "Không rõ cán bộ", "en": "I don't know"},
    "page_prev": {"vi": "Trang trước", "en": "Previous"},
    "page_next": {"vi": "Trang sau", "en": "More"},
    "page_of": {"vi": "Trang {page} / {pages}", "en": "Page {page} of {pages}"},
    "counter": {"vi": "Quầy {counter}", "en": "Counter {counter}"},
    # Checklist
    "none_of_these": {"vi": "Không gặp hành vi nào", "en": "None of these"},
    "tick_hint": {
        "vi": "Chạm vào các ý Ông/Bà đã gặp, rồi bấm “Tiếp tục”.",
        "en": "Tap what you met, then press “Continue”.",
    },
    # Comment and contact
    "comment_question": {
        "vi": "Ông/Bà có góp ý gì thêm không?",
        "en": "Anything else you would like to tell us?",
    },
    "comment_hint": {
        "vi": "Không bắt buộc. Chạm vào một hay nhiều ý dưới đây, hoặc tự viết.",
        "en": "Optional. Tap one or more, or write your own.",
    },
    "optional": {"vi": "Không bắt buộc.", "en": "Optional."},
    "comment_field": {"vi": "Chạm vào đây để tự viết góp ý…", "en": "Tap here to write…"},
    "contact_question": {
        "vi": "Ông/Bà có muốn được liên hệ phản hồi không?",
        "en": "Would you like us to contact you about your feedback?",
    },
    "consent": {
        "vi": "Tôi đồng ý cho phép sử dụng số điện thoại này để liên hệ phản hồi.",
        "en": "I agree that this phone number may be used to contact me about my feedback.",
    },
    "contact_privacy": {
        "vi": "Chỉ lãnh đạo UBND xã (và cán bộ được giao) xem số này, chỉ để gọi lại trả lời ý kiến của "
        "Ông/Bà. Số được xoá sau 90 ngày; muốn xoá sớm hơn, Ông/Bà báo Bộ phận một cửa hoặc gọi "
        "đường dây nóng.",
        "en": "Only the commune's leaders (and the officer they assign) see this number, only to call you "
        "back about your feedback. It is erased after 90 days; to have it erased sooner, tell the "
        "one-stop desk or call the hotline.",
    },
    "phone_label": {"vi": "Số điện thoại", "en": "Phone number"},
    "phone_locked": {
        "vi": "Đánh dấu ô đồng ý ở trên để nhập số điện thoại.",
        "en": "Tick the consent box above to enter a phone number.",
    },
    "phone_invalid": {
        "vi": "Số điện thoại chưa đúng, Ông/Bà vui lòng kiểm tra lại.",
        "en": "That phone number does not look right; please check it.",
    },
    "send": {"vi": "Gửi đánh giá", "en": "Send"},
    "send_without": {"vi": "Gửi, không để lại số", "en": "Send without a number"},
    "erase": {"vi": "Xoá", "en": "Delete"},
    # Thanks and faults
    "thanks": {"vi": "Xin trân trọng cảm ơn Ông/Bà!", "en": "Thank you very much!"},
    "thanks_sub_low": {
        "vi": "Chúng tôi xin lỗi vì chưa làm Ông/Bà hài lòng và sẽ xem xét, khắc phục.",
        "en": "We are sorry we did not satisfy you; we will look into it and put it right.",
    },
    "thanks_sub": {
        "vi": "Ý kiến của Ông/Bà giúp chúng tôi phục vụ nhân dân tốt hơn.",
        "en": "Your opinion helps us serve people better.",
    },
    "store_fault": {
        "vi": "Xin lỗi Ông/Bà, máy tạm thời chưa ghi nhận được đánh giá. Vui lòng báo cán bộ.",
        "en": "Sorry, this kiosk cannot record ratings at the moment. Please tell an officer.",
    },
    "store_fault_retry": {"vi": "Thử lại", "en": "Try again"},
    # Admin
    "pin_enter": {"vi": "Nhập mã PIN quản trị", "en": "Enter the admin PIN"},
    "pin_none": {
        "vi": "Máy chưa có mã PIN quản trị. Cán bộ CNTT đặt mã khi cài máy: "
        "survey-kiosk pin --pin …, hoặc survey-kiosk enrol … --pin ….",
        "en": "This kiosk has no admin PIN yet. The IT officer sets one when installing it: "
        "survey-kiosk pin --pin …, or survey-kiosk enrol … --pin ….",
    },
    "pin_new": {
        "vi": "Đặt mã PIN quản trị mới (4 đến 8 chữ số)",
        "en": "Set a new admin PIN (4 to 8 digits)",
    },
    "pin_confirm": {"vi": "Nhập lại mã PIN để xác nhận", "en": "Enter the PIN again to confirm"},
    "pin_wrong": {"vi": "Mã PIN không đúng.", "en": "Wrong PIN."},
    "pin_mismatch": {
        "vi": "Hai lần nhập không khớp, xin đặt lại.",
        "en": "The two entries differ; start again.",
    },
    "pin_short": {"vi": "Mã PIN cần từ 4 đến 8 chữ số.", "en": "The PIN needs 4 to 8 digits."},
    "pin_locked": {
        "vi": "Nhập sai nhiều lần. Xin thử lại sau {s} giây.",
        "en": "Too many wrong PINs. Try again in {s} s.",
    },
    "ok": {"vi": "Đồng ý", "en": "OK"},
    "cancel": {"vi": "Huỷ", "en": "Cancel"},
    "admin_title": {"vi": "Quản trị máy đánh giá", "en": "Kiosk administration"},
    "admin_status": {"vi": "Tình trạng", "en": "Status"},
    "admin_lost": {
        "vi": "Phiếu đã mất cả trên máy và máy chủ: {lost} (khôi phục từ bản sao lưu quá cũ)",
        "en": "Ballots lost on both sides: {lost} (restored from a backup older than the retention)",
    },
    "admin_counts": {
        "vi": "Đang chờ gửi: {pending} · Đã gửi: {synced} · Trùng khác: {conflict} · Bị từ chối: {rejected}",
        "en": "Pending: {pending} · Synced: {synced} · Conflict: {conflict} · Rejected: {rejected}",
    },
    "admin_last_sync": {"vi": "Đồng bộ lần cuối: {when}", "en": "Last sync: {when}"},
    "admin_last_error": {"vi": "Lỗi gần nhất: {error}", "en": "Last error: {error}"},
    "admin_config": {"vi": "Phiên bản cấu hình: {version}", "en": "Configuration version: {version}"},
    "admin_device": {"vi": "Máy chủ: {server} · Tên máy: {name}", "en": "Server: {server} · Device: {name}"},
    "admin_never": {"vi": "chưa có", "en": "never"},
    "admin_none": {"vi": "không có", "en": "none"},
    "admin_store_ok": {"vi": "Bộ nhớ đánh giá: bình thường", "en": "Ballot storage: working"},
    "admin_store_fault": {"vi": "Bộ nhớ đánh giá LỖI: {error}", "en": "Ballot storage FAULT: {error}"},
    "admin_enrol": {"vi": "Đăng ký với máy chủ", "en": "Enrol with the server"},
    "admin_server_url": {"vi": "Địa chỉ máy chủ (https://…)", "en": "Server URL (https://…)"},
    "admin_code": {"vi": "Mã đăng ký", "en": "Enrolment code"},
    "admin_device_name": {"vi": "Tên máy (ví dụ: Quầy 1)", "en": "Device name (e.g. Counter 1)"},
    "admin_enrol_go": {"vi": "Đăng ký", "en": "Enrol"},
    "admin_sync_now": {"vi": "Đồng bộ ngay", "en": "Sync now"},
    "admin_no_sync": {
        "vi": "Máy này chưa có chức năng đồng bộ.",
        "en": "Sync is not available on this kiosk.",
    },
    "admin_working": {"vi": "Đang thực hiện…", "en": "Working…"},
    "admin_settings": {"vi": "Cài đặt", "en": "Settings"},
    "admin_default_lang": {"vi": "Ngôn ngữ mặc định", "en": "Default language"},
    "admin_mode": {"vi": "Chế độ", "en": "Mode"},
    "mode_kiosk": {"vi": "Máy đặt tại quầy", "en": "Counter kiosk"},
    "mode_tablet": {"vi": "Máy tính bảng", "en": "Tablet"},
    "admin_mode_note": {
        "vi": "Chế độ mới áp dụng khi khởi động lại.",
        "en": "A new mode takes effect at the next start.",
    },
    "admin_bound": {"vi": "Cán bộ gắn với máy này", "en": "Officer bound to this kiosk"},
    "admin_bound_none": {"vi": "Không gắn (hỏi người dân)", "en": "None (ask the citizen)"},
    "admin_speech_volume": {
        "vi": "Âm lượng đọc to (mỗi người dân bắt đầu ở mức này, có thể chỉnh bằng phím + và −)",
        "en": "Read-aloud volume (each citizen starts here and may change it with + and −)",
    },
    "admin_change_pin": {"vi": "Đổi mã PIN", "en": "Change PIN"},
    "admin_back": {"vi": "Về màn hình chào", "en": "Back to welcome"},
    "admin_exit": {"vi": "Thoát ứng dụng", "en": "Quit the app"},
    "admin_config_pending": {
        "vi": "Cấu hình mới sẽ áp dụng sau lượt đánh giá đang diễn ra.",
        "en": "A new configuration will apply after the current ballot.",
    },
}

# Tap-able comments so that nobody has to type; the text stored is the chosen language's wording.
QUICK_COMMENTS: tuple[dict[str, str], ...] = (
    {"vi": "Cán bộ rất tận tình", "en": "The officer was very helpful"},
    {"vi": "Hướng dẫn dễ hiểu", "en": "Clear explanations"},
    {"vi": "Giải quyết nhanh", "en": "Handled quickly"},
    {"vi": "Thời gian chờ lâu", "en": "Long waiting time"},
    {"vi": "Thủ tục còn phức tạp", "en": "The procedure is complicated"},
    {"vi": "Cần thêm chỗ ngồi chờ", "en": "More waiting seats needed"},
)


def tr(key: str, lang: str, **values: object) -> str:
    """The string `key` in `lang` (Vietnamese when missing), formatted with `values`, NFC."""
    entry = STRINGS[key]
    text = entry.get(lang) or entry["vi"]
    if values:
        text = text.format(**values)
    return unicodedata.normalize("NFC", text)


def counter_label(counter: str, lang: str) -> str:
    """ "Quầy 2" for a bare counter number or code; a roster's own wording ("Quầy 1", "Phòng A") as is.

    >>> counter_label("2", "vi"), counter_label("Quầy 1", "vi")
    ('Quầy 2', 'Quầy 1')
    """
    text = counter.strip()
    if not text:
        return ""
    if len(text) <= 3 and text.isalnum():
        return tr("counter", lang, counter=text)
    return unicodedata.normalize("NFC", text)
