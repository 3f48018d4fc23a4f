"""The phone ballot's words in Vietnamese and English: the kiosk's own wording where the kiosk says it.

>>> tr("thanks", "vi")
'Xin trân trọng cảm ơn Ông/Bà!'
"""

from __future__ import annotations

import importlib.util
import unicodedata
from pathlib import Path

import kiosk

__all__ = ["KIOSK_KEYS", "STRINGS", "tr"]

# Said exactly as on the kiosk: taken from its own strings file.
KIOSK_KEYS = (
    "greeting",
    "anonymous",
    "back",
    "skip",
    "next",
    "progress",
    "offer_question",
    "send_now",
    "answer_more",
    "staff_question",
    "staff_unknown",
    "none_of_these",
    "comment_question",
    "optional",
    "contact_question",
    "consent",
    "contact_privacy",
    "phone_label",
    "phone_locked",
    "phone_invalid",
    "send",
    "thanks",
    "thanks_sub",
    "thanks_sub_low",
)


def _kiosk_strings() -> dict[str, dict[str, str]]:
    """kiosk/ui/strings.py read as a file: importing `kiosk.ui` would start the Kivy package's set-up."""
    path = Path(kiosk.__file__).parent / "ui" / "strings.py"
    spec = importlib.util.spec_from_file_location("ctt_kiosk_strings", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.STRINGS)


_KIOSK = _kiosk_strings()
STRINGS: dict[str, dict[str, str]] = {key: _KIOSK[key] for key in KIOSK_KEYS}
STRINGS |= {
    # The phone's own words
    "title": {"vi": "Đánh giá kín trên điện thoại", "en": "Private rating on your phone"},
    "served_by": {"vi": "Cán bộ phục vụ Ông/Bà", "en": "The officer who served you"},
    "comment_field": {"vi": "Góp ý của Ông/Bà", "en": "Your comment"},
    "other_lang": {"vi": "English", "en": "Tiếng Việt"},
    "channels": {"vi": "Ông/Bà có thể phản ánh thêm qua", "en": "You can also reach us through"},
    "hotline": {"vi": "Đường dây nóng", "en": "Hotline"},
    "email": {"vi": "Thư điện tử", "en": "E-mail"},
    "zalo": {"vi": "Zalo", "en": "Zalo"},
    "facebook": {"vi": "Facebook", "en": "Facebook"},
    "feedback_box": {"vi": "Hòm thư góp ý", "en": "Feedback box"},
    "refused_title": {"vi": "Không dùng được mã đánh giá", "en": "This rating code cannot be used"},
    "refused_help": {
        "vi": "Nếu cần, Ông/Bà xin mã mới tại Bộ phận tiếp nhận và trả kết quả.",
        "en": "If needed, ask the one-stop desk for a new code.",
    },
    "stale": {
        "vi": "Trang đánh giá đã cũ hoặc không đúng. Ông/Bà vui lòng quét lại mã QR.",
        "en": "This page is out of date. Please scan the QR code again.",
    },
    "no_survey": {
        "vi": "Máy chủ chưa có bộ câu hỏi. Ông/Bà vui lòng thử lại sau.",
        "en": "The server has no survey yet. Please try again later.",
    },
}


def tr(key: str, lang: str, **values: object) -> str:
    """The string `key` in `lang` (Vietnamese when missing), formatted with `values`, NFC."""
    entry = STRINGS[key]
    text = entry.get(lang) or entry["vi"]
    if values:
        text = text.format(**values)
    return unicodedata.normalize("NFC", text)
