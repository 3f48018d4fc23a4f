"""Every phrase the kiosk may say, by phrase id, in the screen's language (pure: no Kivy, no audio).

A phrase id names what is said, not how: `q.tong_the` is the overall question, `face.4` the fourth
face ("Hài lòng, mức 4 trên 5"), `staff.nv01` an officer with her counter, `ui.start` a button, `say.*`
the kiosk's spoken-only help (which keys to press). The renderer turns each (language, id, text) into
one clip; the UI plays a screen as a list of ids.

>>> phrases = catalogue(survey, staff, "vi")
>>> phrases["face.4"]
'Hài lòng, mức 4 trên 5'
>>> spoken("UBND xã", "vi")
'Ủy ban nhân dân xã'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from kiosk.ui.strings import QUICK_COMMENTS, STRINGS, counter_label

if TYPE_CHECKING:
    from kiosk.config import Officer
    from surveys.loader import Survey

__all__ = [
    "LANGS",
    "SPOKEN_KEYS",
    "VI_WORDS",
    "catalogue",
    "phrases_for",
    "plain",
    "spoken",
    "staff_phrase",
    "texts_by_phrase",
    "unique",
]

LANGS = ("vi", "en")

# The kiosk's own words a citizen may hear (the admin and PIN screens are never spoken).
SPOKEN_KEYS = (
    "greeting",
    "invite",
    "start",
    "anonymous",
    "lang_vi",
    "lang_en",
    "big_text",
    "audio",
    "audio_stop",
    "repeat",
    "softer",
    "louder",
    "normal_text",
    "cooldown",
    "back",
    "skip",
    "next",
    "not_applicable",
    "offer_question",
    "send_now",
    "answer_more",
    "still_question",
    "still_continue",
    "staff_question",
    "staff_unknown",
    "none_of_these",
    "comment_question",
    "contact_question",
    "consent",
    "contact_privacy",
    "phone_invalid",
    "send",
    "send_without",
    "erase",
    "thanks",
    "thanks_sub",
    "thanks_sub_low",
    "store_fault",
    "store_fault_retry",
)

# Words of the plan espeak-ng reads wrongly as written: replaced by what a Vietnamese says aloud
# (espeak-ng reads "UBND" as an English word; "Ông/Bà" is said "Ông Bà"). Checked with
# `espeak-ng -v vi -x`: the plan's words ("cán bộ", "hài lòng", "Ông Bà") and officers' names need no fix.
VI_WORDS: dict[str, str] = {
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "CNTT": "công nghệ thông tin",
    "PAKN": "phản ánh, kiến nghị",
    "Enter": "en tơ",  # as Vietnamese say the key; espeak-ng would switch to its English voice
    "Ông/Bà": "Ông Bà",
    "ông/bà": "ông bà",
}

# Spoken-only phrases: how to use the keypad and the audio mode.
_SAY: dict[str, dict[str, str]] = {
    "audio_on": {
        "vi": "Đã bật đọc to. Dùng bàn phím số: phím 1 đến 5 để chọn, phím 0 để bỏ qua, phím Enter để "
        "xác nhận, phím xoá lùi để quay lại, phím chấm để nghe lại, phím cộng và trừ để chỉnh âm lượng. "
        "Hoặc chạm một lần vào màn hình để nghe, chạm hai lần để chọn.",
        "en": "Reading aloud is on. Use the number keys: 1 to 5 to choose, 0 to skip, Enter to confirm, "
        "Backspace to go back, the dot key to hear again, plus and minus for the volume. "
        "Or touch the screen once to hear, twice to choose.",
    },
    "audio_off": {"vi": "Đã tắt đọc to.", "en": "Reading aloud is off."},
    "welcome_keys": {
        "vi": "Bấm phím Enter để bắt đầu đánh giá.",
        "en": "Press Enter to start.",
    },
    "staff_keys": {
        "vi": "Bấm số của cán bộ. Phím 0: không rõ cán bộ.",
        "en": "Press the officer's number. Key 0: I don't know.",
    },
    "rating_keys": {
        "vi": "Bấm phím 1 đến 5: 1 là rất không hài lòng, 5 là rất hài lòng.",
        "en": "Press 1 to 5: 1 is very dissatisfied, 5 is very satisfied.",
    },
    "rating_skip": {"vi": "Phím 0: không áp dụng.", "en": "Key 0: not applicable."},
    "choice_keys": {"vi": "Bấm số của câu trả lời.", "en": "Press the number of your answer."},
    "checklist_keys": {
        "vi": "Bấm số của một ý để đánh dấu, bấm lại để bỏ; hoặc dùng phím mũi tên lên xuống để nghe "
        "từng ý và phím Enter để đánh dấu. Xong thì bấm phím 9 để tiếp tục; không đánh dấu ý nào là "
        "không gặp hành vi nào. Phím 0: bỏ qua.",
        "en": "Press an item's number to tick it, again to untick it; or use the up and down arrows to "
        "hear each item and Enter to tick it. When done, press 9 to continue; nothing ticked means none "
        "of these. Key 0: skip.",
    },
    "text_keys": {
        "vi": "Câu này cần viết chữ; bấm phím 0 để bỏ qua.",
        "en": "This question needs writing; press 0 to skip.",
    },
    "offer_keys": {
        "vi": "Phím 1: gửi đánh giá ngay. Phím 2: trả lời thêm.",
        "en": "Key 1: send my rating now. Key 2: answer more.",
    },
    "comment_keys": {
        "vi": "Bấm số để chọn góp ý, bấm lại để bỏ. Phím Enter: tiếp tục. Phím 0: bỏ qua.",
        "en": "Press a number to choose a comment, again to remove it. Enter: continue. Key 0: skip.",
    },
    "contact_keys": {
        "vi": "Phím Enter: gửi, không để lại số. Muốn được gọi lại, bấm phím 1 để đồng ý, rồi nhập số điện "
        "thoại và bấm Enter.",
        "en": "Enter: send without a number. To be called back, press 1 to agree, then type the phone "
        "number and press Enter.",
    },
    "contact_agreed": {
        "vi": "Đã đồng ý. Nhập số điện thoại rồi bấm Enter. Phím xoá lùi xoá một số.",
        "en": "Agreed. Type the phone number, then press Enter. Backspace deletes a digit.",
    },
    "ticked": {"vi": "Đã đánh dấu", "en": "Ticked"},
    "unticked": {"vi": "Đã bỏ đánh dấu", "en": "Unticked"},
    "chosen": {"vi": "Đã chọn", "en": "Chosen"},
    "tap_again": {"vi": "Chạm lần nữa để chọn.", "en": "Touch again to choose."},
    "still_keys": {"vi": "Bấm phím bất kỳ để tiếp tục.", "en": "Press any key to continue."},
}


def spoken(text: str, lang: str) -> str:
    """`text` as it should be read aloud: plan abbreviations spelled out, marks that read badly removed."""
    text = unicodedata.normalize("NFC", text)
    if lang == "vi":
        for written, said in VI_WORDS.items():
            text = re.sub(rf"(?<!\w){re.escape(written)}(?!\w)", said, text)
    text = re.sub(r"\s*–\s*", ", ", text)
    text = text.replace("/", " ").replace("…", "").replace("“", "").replace("”", "")
    text = text.replace("‹", "").replace("›", "")
    return re.sub(r"\s+", " ", text).strip()


def staff_phrase(officer: Officer, lang: str) -> str:
    """An officer as heard on the officer screen: name, title, counter.

    In English the name and title stay Vietnamese words, marked «…» for the Vietnamese voice.
    """
    own = ", ".join(p.strip() for p in (officer.name, officer.title or "") if p and p.strip())
    counter = counter_label(officer.counter or "", lang)
    if lang != "vi":
        own = f"«{own}»"
    return f"{own}, {counter}" if counter else own


def _face(value: int, label: str, lang: str) -> str:
    return f"{label}, mức {value} trên 5" if lang == "vi" else f"{label}, level {value} of 5"


def phrases_for(
    survey: Survey, staff: Sequence[Officer], langs: Iterable[str] = LANGS
) -> dict[str, dict[str, str]]:
    """{lang: catalogue} for every language the kiosk speaks; what a renderer takes."""
    return {lang: catalogue(survey, staff, lang) for lang in langs}


def catalogue(survey: Survey, staff: Sequence[Officer], lang: str) -> dict[str, str]:
    """Every phrase id the kiosk may play in `lang`, with its written text (before `spoken`)."""
    out: dict[str, str] = {}
    for key in SPOKEN_KEYS:
        entry = STRINGS[key]
        out[f"ui.{key}"] = entry.get(lang) or entry["vi"]
    for key, entry in _SAY.items():
        out[f"say.{key}"] = entry.get(lang) or entry["vi"]
    for value in range(1, 6):
        out[f"face.{value}"] = _face(value, survey.scale_label(value).get(lang), lang)
    for digit in range(10):
        out[f"digit.{digit}"] = str(digit)
    for question in survey.questions:
        out[f"q.{question.id}"] = question.text.get(lang)
        for option in question.options:
            out[f"q.{question.id}.{option.id}"] = option.text.get(lang)
    for index, entry in enumerate(QUICK_COMMENTS):
        out[f"quick.{index}"] = entry.get(lang) or entry["vi"]
    for officer in staff:
        out[f"staff.{officer.id}"] = staff_phrase(officer, lang)
    return out


def texts_by_phrase(phrases: dict[str, str]) -> dict[str, str]:
    """Written text → phrase id, to find what a button says from its label (explore-by-touch)."""
    found: dict[str, str] = {}
    for phrase_id, text in phrases.items():
        found.setdefault(plain(text), phrase_id)
    return found


def plain(text: str) -> str:
    """A label reduced to compare with the catalogue (arrows and spacing dropped)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).replace("‹", "").replace("›", "")).strip()


def unique(ids: Iterable[str]) -> list[str]:
    """`ids` without repeats, order kept."""
    return list(dict.fromkeys(ids))
