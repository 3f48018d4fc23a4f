"""What a periodic report says, independent of its file format (pure: no SQL, no I/O).

The figures are the Row dicts of the indices API (sync-protocol.md), passed through untouched; this
module only picks, orders, labels and formats them, so a report always equals the dashboard and API.

>>> data = assemble_report(unit, parse_period("2024-09"), indices, labels, min_sample=30)  # build.py
>>> headline_lines(data)[0]
'Tổng số phiếu đánh giá hợp lệ: 412 phiếu.'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sync_server.indices import wilson
from sync_server.reports.periods import ReportPeriod

__all__ = [
    "IN_GROUP_LABELS",
    "LEFT_COLUMNS",
    "NAM_KHONG",
    "SHORT_LABELS",
    "TONG_THE",
    "Comment",
    "Labels",
    "OfficialNames",
    "ReportData",
    "StaffInfo",
    "Table",
    "UnitInfo",
    "addressee",
    "admin_name",
    "closing_text",
    "comment_lines",
    "comparable",
    "comparison_line",
    "doc_number",
    "fmt_change",
    "fmt_delta",
    "fmt_int",
    "fmt_interval",
    "fmt_mean",
    "fmt_pct",
    "group_tables",
    "headline_lines",
    "in_sentence",
    "intro_text",
    "issuer_lines",
    "item_interval",
    "month_label",
    "nfc",
    "people_section",
    "place_and_date",
    "proposals",
    "recipients",
    "signature_lines",
    "signer_name",
    "staff_name",
    "staff_table",
    "title_lines",
    "trend_table",
    "unit_table",
    "violation_lines",
    "violation_table",
]

Row = Mapping[str, Any]

TONG_THE = "tong_the"
NAM_KHONG = "nam_khong"

# Short labels of the default survey's items for table rows (the question text is a whole sentence).
SHORT_LABELS: dict[str, str] = {
    "tong_the": "Hài lòng chung",
    "xin_chao": "Xin chào",
    "xin_loi": "Xin lỗi",
    "xin_cam_on": "Xin cảm ơn",
    "xin_phep": "Xin phép",
    "luon_mim_cuoi": "Luôn mỉm cười",
    "luon_nhe_nhang": "Luôn nhẹ nhàng",
    "luon_lang_nghe": "Luôn lắng nghe",
    "luon_giup_do": "Luôn giúp đỡ",
    "biet_nghe_dan_noi": "Biết nghe dân nói",
    "biet_noi_dan_hieu": "Biết nói dân hiểu",
    "biet_lam_dan_tin": "Biết làm dân tin",
    "ton_trong": "Tôn trọng",
    "van_minh": "Văn minh",
    "gan_gui": "Gần gũi",
    "nam_khong": "Không gặp hành vi “5 không”",
    "tiep_can_noi_lam_thu_tuc": "Nơi làm thủ tục",
    "tiep_can_huong_dan": "Được hướng dẫn một lần",
    "thu_tuc_cong_khai": "Thủ tục niêm yết công khai",
    "thu_tuc_phi_dung_quy_dinh": "Phí, lệ phí đúng quy định",
    "cong_chuc_thai_do": "Thái độ của công chức",
    "cong_chuc_nang_luc": "Năng lực của công chức",
    "ket_qua_dung_hen": "Kết quả đúng hẹn",
    "ket_qua_dung_quy_dinh": "Kết quả đúng quy định",
    "pakn_de_dang": "Dễ dàng phản ánh, kiến nghị",
}

# The plan's words for the items that sit in two groups: in "5 biết" they are "biết xin lỗi, biết cảm ơn".
IN_GROUP_LABELS: dict[tuple[str, str], str] = {
    ("5_biet", "xin_loi"): "Biết xin lỗi",
    ("5_biet", "xin_cam_on"): "Biết cảm ơn",
}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def nfc(text: str) -> str:
    """Vietnamese text in composed form (NFC), as every output must be, without control characters
    (DOCX and XLSX cannot hold them, and a stray one from a kiosk must not stop a report)."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


_PREFIXES = ("Thị trấn ", "Đặc khu ", "Xã ", "Phường ", "Tỉnh ", "Thành phố ", "Huyện ", "Quận ", "Thị xã ")


def in_sentence(name: str) -> str:
    """An administrative name as written mid-sentence: "Tỉnh Đồng Nai" → "tỉnh Đồng Nai"."""
    if name.startswith(_PREFIXES):
        return name[:1].lower() + name[1:]
    return name


_BODY_PREFIXES = ("ubnd ", "ủy ban nhân dân ", "uỷ ban nhân dân ")


def admin_name(name: str) -> str:
    """A unit's administrative name, without a leading "UBND" the administrator may have typed.

    >>> admin_name("UBND xã Thiện Hưng")
    'Xã Thiện Hưng'
    >>> admin_name("Xã Hòa Bình")
    'Xã Hòa Bình'
    """
    text = nfc(name).strip()
    folded = text.lower()
    for prefix in _BODY_PREFIXES:
        if folded.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    for prefix in _PREFIXES:
        if text.lower().startswith(prefix.lower()) and not text.startswith(prefix):
            return prefix + text[len(prefix) :]
    return text


@dataclass(frozen=True)
class OfficialNames:
    """What an administrator set with `survey-server unit set`; None: derived from the unit's name."""

    governing_body: str | None = None
    issuing_body: str | None = None
    place_name: str | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    deputy_signs: bool | None = None
    number_series: str | None = None
    recipients: tuple[str, ...] | None = None


@dataclass(frozen=True)
class UnitInfo:
    """The reporting unit, and its parent (the body the report goes up to) when known."""

    code: str
    name: str
    parent_name: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    official: OfficialNames = OfficialNames()
    # "commune": served at its own one-stop desk; "province" or "ministry": reports on its sub-units.
    level: str = "commune"

    @property
    def place(self) -> str:
        """The địa danh: the unit's name without "Xã", "Phường"… ("Xã Tân Phú" → "Tân Phú")."""
        if self.official.place_name:
            return self.official.place_name
        name = admin_name(self.name)
        for prefix in _PREFIXES:
            if name.startswith(prefix):
                return name[len(prefix) :].strip()
        return name

    @property
    def in_sentence(self) -> str:
        """The name as written mid-sentence: "Xã Tân Phú" → "xã Tân Phú"."""
        return in_sentence(admin_name(self.name))

    @property
    def parent_in_sentence(self) -> str | None:
        return in_sentence(admin_name(self.parent_name)) if self.parent_name else None

    @property
    def upper_name(self) -> str:
        return nfc(admin_name(self.name).upper())


@dataclass(frozen=True)
class StaffInfo:
    """An officer as the reports name them."""

    id: str
    name: str
    title: str = ""
    counter: str = ""


@dataclass(frozen=True)
class Comment:
    """A citizen's comment; never with a phone number (reports go on paper)."""

    day: date
    staff_name: str | None
    text: str
    place: str | None = None  # the commune, in a parent unit's report


@dataclass(frozen=True)
class Labels:
    """Names of the survey's groups, items and checklist options, in display order."""

    groups: Mapping[str, str]
    group_items: Mapping[str, Sequence[str]]
    items: Mapping[str, str]
    options: Mapping[str, str]
    question_options: Mapping[str, Sequence[str]] = field(default_factory=dict)
    friendly: Sequence[str] = ()
    sipas: Sequence[str] = ()

    @classmethod
    def from_survey(cls, survey: Any) -> Labels:
        """Labels from a surveys.loader.Survey (or any object of the same shape)."""
        groups = {g.id: nfc(g.title.vi) for g in survey.groups}
        group_items: dict[str, list[str]] = {g: [] for g in groups}
        items: dict[str, str] = {}
        options: dict[str, str] = {}
        question_options: dict[str, list[str]] = {}
        for q in survey.questions:
            items[q.id] = SHORT_LABELS.get(q.id) or nfc(q.text.vi)
            for g in q.groups:
                group_items.setdefault(g, []).append(q.id)
            for o in getattr(q, "options", ()) or ():
                options[o.id] = nfc(o.text.vi)
                question_options.setdefault(q.id, []).append(o.id)
        return cls(
            groups=groups,
            group_items=group_items,
            items=items,
            options=options,
            question_options=question_options,
            friendly=[g.id for g in survey.groups if g.friendly],
            sipas=[g.id for g in survey.groups if g.sipas],
        )

    def item(self, question_id: str) -> str:
        return self.items.get(question_id) or SHORT_LABELS.get(question_id) or question_id

    def group(self, group_id: str) -> str:
        return self.groups.get(group_id, group_id)


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows; the figures are indices-API rows, untouched."""

    unit: UnitInfo
    period: ReportPeriod
    method: str
    min_sample: int
    overall: Row | None
    previous: Row | None
    staff_rows: Sequence[Row]
    trend: Sequence[Row]
    labels: Labels
    staff: Mapping[str, StaffInfo] = field(default_factory=dict)
    comments: Sequence[Comment] = ()
    comment_count: int = 0
    contact_count: int = 0
    issued_on: date = field(default_factory=date.today)
    children: Sequence[tuple[UnitInfo, Row | None]] = ()
    # The first day with ballots for the unit (None: not known, periods taken as whole), so a previous
    # period that holds only part of its days is not compared as if it were whole.
    data_since: date | None = None

    @property
    def is_monthly(self) -> bool:
        return self.period.kind == "month"

    @property
    def is_desk(self) -> bool:
        """A commune's monthly report: issued by its one-stop desk to its chairman."""
        return self.is_monthly and self.unit.level == "commune"

    @property
    def data_until(self) -> date | None:
        """The last day of data when the period has not ended on the issue date, else None."""
        return self.issued_on if self.issued_on <= self.period.end else None

    @property
    def previous_partial(self) -> bool:
        """The previous period holds less than its whole length (ballots began inside it, or none)."""
        return self.data_since is not None and self.data_since > self.period.previous().start


# ---------------------------------------------------------------- formatting


def fmt_pct(value: float | None) -> str:
    """85.3 → "85,3" (Vietnamese decimal comma); None → "—"."""
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def fmt_mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def fmt_int(value: int | None) -> str:
    """12345 → "12.345" (Vietnamese thousands dot)."""
    return "—" if value is None else f"{value:,}".replace(",", ".")


def fmt_delta(now: float | None, before: float | None) -> str:
    """The change in percentage points, signed: "+2,1", "−0,4", or "—" without both figures."""
    if now is None or before is None:
        return "—"
    # Rounded figures are what the reader sees, so the difference of those is what must add up.
    delta = round(now, 1) - round(before, 1)
    if abs(delta) < 0.05:
        return "0,0"
    return ("+" if delta > 0 else "−") + f"{abs(delta):.1f}".replace(".", ",")


def fmt_change(now: float | None, before: float | None) -> str:
    """The change in percentage points, in words: "tăng 2,8 điểm phần trăm", "giảm 0,9 điểm phần trăm".

    A fall is written with the word "giảm", so no format can lose its sign.
    """
    if now is None or before is None:
        return "không có số liệu để so sánh"
    delta = round(now, 1) - round(before, 1)
    if abs(delta) < 0.05:
        return "không thay đổi"
    return f"{'tăng' if delta > 0 else 'giảm'} {fmt_pct(abs(delta))} điểm phần trăm"


def fmt_interval(ci: Sequence[float] | None) -> str:
    """A 95 % interval as "72,4–81,0"; "—" without one."""
    return f"{fmt_pct(ci[0])}–{fmt_pct(ci[1])}" if ci else "—"


def item_interval(index: float | None, n: int) -> list[float] | None:
    """The Wilson 95 % interval of an item or group figure shown as `index` % of `n` ballots.

    The API gives items as rounded percentages: the count of "đạt" answers is recovered from them
    (exact up to 1.000 ballots, within 0,1 point beyond).
    """
    if index is None or n <= 0:
        return None
    k = min(n, max(0, round(index * n / 100)))
    return list(wilson(k, n))


def _num_date(d: date) -> tuple[str, str]:
    # NĐ 30/2020: days under 10 and months 1–2 take a leading zero.
    return f"{d.day:02d}", (f"{d.month:02d}" if d.month < 3 else str(d.month))


def place_and_date(data: ReportData) -> str:
    """ "Tân Phú, ngày 05 tháng 10 năm 2024" (NĐ 30/2020 form)."""
    day, month = _num_date(data.issued_on)
    return f"{data.unit.place}, ngày {day} tháng {month} năm {data.issued_on.year}"


# ---------------------------------------------------------------- header and footer


def issuer_lines(data: ReportData) -> tuple[str, str]:
    """(tên cơ quan chủ quản, tên cơ quan ban hành), upper case, as NĐ 30/2020 lays them out top-left."""
    # "\n" marks where the line breaks, as in NĐ 30's models ("ỦY BAN NHÂN DÂN" over "XÃ HÒA BÌNH").
    official = data.unit.official
    if data.is_desk:
        return f"UBND {data.unit.upper_name}", "BỘ PHẬN TIẾP NHẬN\nVÀ TRẢ KẾT QUẢ"
    parent = data.unit.parent_name
    governing = official.governing_body or (f"UBND {admin_name(parent)}" if parent else "")
    if data.unit.level == "ministry":
        return nfc(governing.upper()), nfc((official.issuing_body or data.unit.upper_name).upper())
    issuer = official.issuing_body or f"ỦY BAN NHÂN DÂN\n{data.unit.upper_name}"
    return nfc(governing.upper()), nfc(issuer.upper())


def doc_number(data: ReportData) -> str:
    """The số, ký hiệu line; the number is left for the văn thư to fill in."""
    # The number itself is given by the văn thư at issue; non-breaking spaces keep the gap in PDF.
    gap = "\u00a0" * 8
    if data.is_desk:
        return f"Số:{gap}/BC-BPTNTKQ"
    default = "BC-BNV" if data.unit.level == "ministry" else "BC-UBND"
    return f"Số:{gap}/{data.unit.official.number_series or default}"


def _served_by(data: ReportData) -> str:
    """Whose service the citizens judged: the commune's, or every office a province or ministry covers."""
    if data.unit.level == "province":
        return f"các cơ quan hành chính nhà nước trên địa bàn {data.unit.in_sentence}"
    if data.unit.level == "ministry":
        return f"các cơ quan, đơn vị thuộc {admin_name(data.unit.name)}"
    return f"UBND {data.unit.in_sentence}"


def title_lines(data: ReportData) -> tuple[str, str]:
    """("BÁO CÁO", "Kết quả đo lường sự hài lòng … tháng 9 năm 2024")."""
    return (
        "BÁO CÁO",
        f"Kết quả đo lường sự hài lòng của người dân, tổ chức đối với sự phục vụ "
        f"của {_served_by(data)} {data.period.title_vi}",
    )


def _span(data: ReportData) -> str:
    """ "từ ngày 15/02/2026 đến ngày 14/03/2026", with "số liệu đến ngày …" for a running period."""
    period = data.period
    text = f"từ ngày {period.start:%d/%m/%Y} đến ngày {period.end:%d/%m/%Y}"
    if data.data_until is not None:
        text += f"; số liệu đến ngày {data.data_until:%d/%m/%Y}, kỳ báo cáo chưa kết thúc"
    return text


def intro_text(data: ReportData) -> str:
    if data.unit.level == "commune":
        who = f"UBND {data.unit.in_sentence} tổ chức lấy ý kiến người dân, tổ chức về sự phục vụ tại Bộ phận "
        who += "Tiếp nhận và Trả kết quả bằng máy đánh giá điện tử"
    elif data.unit.level == "province":
        who = (
            f"UBND {data.unit.in_sentence} chỉ đạo UBND các xã, phường trên địa bàn lấy ý kiến người dân, "
            "tổ chức về sự phục vụ bằng máy đánh giá điện tử và tổng hợp kết quả"
        )
    else:
        who = (
            f"{admin_name(data.unit.name)} chỉ đạo các cơ quan, đơn vị trực thuộc lấy ý kiến người dân, "
            "tổ chức về sự phục vụ bằng máy đánh giá điện tử và tổng hợp kết quả"
        )
    basis = (
        " (thời gian chốt số liệu theo Nghị định số 09/2019/NĐ-CP)" if data.period.basis == "cutoff" else ""
    )
    return (
        f"Thực hiện mô hình “Chính quyền thân thiện”, {who}. "
        f"Kết quả {data.period.title_vi} ({_span(data)}){basis} như sau:"
    )


def closing_text(data: ReportData) -> str:
    period = data.period.title_vi
    issuer = admin_name(data.unit.name) if data.unit.level == "ministry" else f"UBND {data.unit.in_sentence}"
    return f"Trên đây là báo cáo kết quả đo lường sự hài lòng {period} của {issuer}./."


def addressee(data: ReportData) -> str:
    if data.is_desk:
        return f"Kính gửi: Chủ tịch Ủy ban nhân dân {data.unit.in_sentence}"
    if data.unit.parent_name:
        return f"Kính gửi: Ủy ban nhân dân {data.unit.parent_in_sentence}"
    if data.unit.level == "province":
        return "Kính gửi: Bộ Nội vụ"
    return ""


def _as_recipient_lines(entries: Sequence[str]) -> list[str]:
    """NĐ 30/2020: each entry "- …;", the last "- Lưu: VT, …." (added when the list has none)."""
    lines = [e.strip().lstrip("-").strip().rstrip(";.").strip() for e in entries if e.strip()]
    if not any(line.startswith("Lưu") for line in lines):
        lines.append("Lưu: VT")
    return [f"- {line};" for line in lines[:-1]] + [f"- {lines[-1]}."]


def recipients(data: ReportData) -> list[str]:
    """The "Nơi nhận:" list, bottom-left."""
    if data.unit.official.recipients and not data.is_desk:
        return _as_recipient_lines(data.unit.official.recipients)
    lower = data.unit.in_sentence
    if data.is_desk:
        return [
            f"- Chủ tịch UBND {lower} (để b/c);",
            f"- Các Phó Chủ tịch UBND {lower};",
            "- Công chức Bộ phận TN&TKQ;",
            "- Lưu: VT, BPTNTKQ.",
        ]
    if data.unit.level == "province":
        up = (
            f"- UBND {data.unit.parent_in_sentence} (để b/c);"
            if data.unit.parent_name
            else "- Bộ Nội vụ (để b/c);"
        )
        return [
            up,
            f"- Thường trực Tỉnh ủy, HĐND {lower};",
            f"- Chủ tịch, các Phó Chủ tịch UBND {lower};",
            "- UBND các xã, phường;",
            "- Lưu: VT.",
        ]
    if data.unit.level == "ministry":
        return ["- Văn phòng Chính phủ (để b/c);", "- Lãnh đạo Bộ;", "- Các đơn vị thuộc Bộ;", "- Lưu: VT."]
    upward = [f"- UBND {data.unit.parent_in_sentence} (để b/c);"] if data.unit.parent_name else []
    return [
        *upward,
        f"- Thường trực Đảng ủy, HĐND {lower};",
        f"- Chủ tịch, các Phó Chủ tịch UBND {lower};",
        "- Bộ phận TN&TKQ;",
        "- Lưu: VT.",
    ]


def signature_lines(data: ReportData) -> list[str]:
    """The signature block's headings, bottom-right (quyền hạn, chức vụ); the name stays blank."""
    if data.is_desk:
        return ["TRƯỞNG BỘ PHẬN"]
    official = data.unit.official
    deputy = official.deputy_signs if official.deputy_signs is not None else True
    head = "BỘ TRƯỞNG" if data.unit.level == "ministry" else "CHỦ TỊCH"
    title = (
        official.signer_title
        or (("THỨ TRƯỞNG" if head == "BỘ TRƯỞNG" else "PHÓ CHỦ TỊCH") if deputy else head)
    ).upper()
    authority = [] if data.unit.level == "ministry" else ["TM. ỦY BAN NHÂN DÂN"]
    return [*authority, *([f"KT. {head}"] if deputy else []), nfc(title)]


def signer_name(data: ReportData) -> str | None:
    """The signer's name under the space for signature and seal, when set."""
    if data.is_desk or not data.unit.official.signer_name:
        return None
    return nfc(data.unit.official.signer_name)


# ---------------------------------------------------------------- body


INSUFFICIENT = "chưa đủ mẫu"


def comparable(data: ReportData) -> bool:
    """A comparison with the previous period is shown only when both sides are whole and sufficient."""
    return bool(
        data.overall
        and data.previous
        and not data.previous_partial
        and not data.overall.get("insufficient")
        and not data.previous.get("insufficient")
    )


def comparison_line(data: ReportData) -> str | None:
    """The change on the previous period in words, or why there is none (None: no previous figures)."""
    row, prev = data.overall, data.previous
    if not row or not prev:
        return None
    before = data.period.previous().title_vi
    if data.previous_partial:
        since = f" (số liệu từ ngày {data.data_since:%d/%m/%Y})" if data.data_since else ""
        return f"Không so sánh với {before}: kỳ trước chưa có số liệu đủ cả kỳ{since}."
    if not comparable(data):
        return f"Không so sánh với {before}: số phiếu chưa đủ mẫu tối thiểu ({data.min_sample} phiếu)."
    return (
        f"So với {before}: chỉ số hài lòng chung "
        f"{fmt_change(row.get('satisfaction_index'), prev.get('satisfaction_index'))}, "
        f"chỉ số thân thiện {fmt_change(row.get('friendly_index'), prev.get('friendly_index'))}."
    )


def headline_lines(data: ReportData) -> list[str]:
    """Section 1: the period's headline figures, one sentence each, with the change on last period."""
    row = data.overall
    if not row:
        return [f"Trong {data.period.title_vi}, không có phiếu đánh giá nào được ghi nhận."]
    mark = f" ({INSUFFICIENT})" if row.get("insufficient") else ""
    lines = [f"Tổng số phiếu đánh giá hợp lệ: {fmt_int(row['n'])} phiếu."]
    ci = row.get("satisfaction_ci95")
    ci_text = f" (khoảng tin cậy 95%: {fmt_pct(ci[0])}–{fmt_pct(ci[1])}%)" if ci else ""
    lines.append(
        f"Chỉ số hài lòng chung: {fmt_pct(row.get('satisfaction_index'))}%{ci_text}{mark}; "
        f"điểm trung bình: {fmt_mean(row.get('mean_score'))}/5."
    )
    lines.append(f"Chỉ số thân thiện: {fmt_pct(row.get('friendly_index'))}%{mark}.")
    lines.append(
        f"Chỉ số hài lòng về sự phục vụ hành chính (SIPAS): {fmt_pct(row.get('service_index'))}%{mark}."
    )
    compare = comparison_line(data)
    if compare:
        lines.append(compare)
    if row.get("insufficient"):
        lines.append(
            f"Lưu ý: số phiếu dưới mức tối thiểu ({data.min_sample} phiếu), kết quả chưa đủ mẫu, "
            "chỉ có giá trị tham khảo."
        )
    return lines


@dataclass(frozen=True)
class Table:
    """A titled table: header row and body rows of display strings, plus the raw numbers for charts."""

    title: str
    header: list[str]
    rows: list[list[str]]
    numbers: list[list[float | int | None]] = field(default_factory=list)


def group_sample(data: ReportData, group_id: str) -> int:
    """The ballots behind a group's figure: the fewest any of its answered items has."""
    items: Mapping[str, Any] = (data.overall or {}).get("items") or {}
    counts = [(items.get(q) or {}).get("n", 0) for q in data.labels.group_items.get(group_id, ())]
    answered = [n for n in counts if n]
    return min(answered) if answered else 0


def _figure_cells(index: float | None, n: int, min_sample: int) -> list[str]:
    """[n, index, interval, note] for a table row; "chưa đủ mẫu" under the minimum sample."""
    note = INSUFFICIENT if n and n < min_sample else ("chưa có phiếu" if not n else "")
    return [fmt_int(n), fmt_pct(index), fmt_interval(item_interval(index, n)), note]


def group_tables(data: ReportData) -> list[Table]:
    """Section 2: one table per group of criteria, its items then the group's index, each with its
    sample, 95 % interval and "chưa đủ mẫu" under the minimum."""
    row = data.overall or {}
    prev = data.previous or {}
    items: Mapping[str, Any] = row.get("items") or {}
    prev_groups: Mapping[str, Any] = prev.get("groups") or {}
    tables = []
    for gid, title in data.labels.groups.items():
        body: list[list[str]] = []
        numbers: list[list[float | int | None]] = []
        for qid in data.labels.group_items.get(gid, ()):
            item = items.get(qid) or {}
            label = IN_GROUP_LABELS.get((gid, qid)) or data.labels.item(qid)
            n = item.get("n", 0)
            body.append([label, *_figure_cells(item.get("index"), n, data.min_sample)])
            numbers.append([n, item.get("index")])
        index = (row.get("groups") or {}).get(gid)
        n = group_sample(data, gid)
        body.append(["Chỉ số nhóm", *_figure_cells(index, n, data.min_sample)])
        numbers.append([None, index])
        kind = "thân thiện" if gid in data.labels.friendly else "SIPAS" if gid in data.labels.sipas else ""
        shown = comparable(data) and prev_groups.get(gid) is not None
        suffix = f" (kỳ trước: {fmt_pct(prev_groups.get(gid))}%)" if shown else ""
        tables.append(
            Table(
                title=f"Nhóm “{title}”" + (f" — {kind}" if kind else "") + suffix,
                header=["Tiêu chí", "Số phiếu", "Tỷ lệ đạt (%)", "Khoảng tin cậy 95%", "Ghi chú"],
                rows=body,
                numbers=numbers,
            )
        )
    return tables


def staff_name(data: ReportData, staff_id: str | None) -> str:
    if staff_id is None:
        return "Không rõ công chức"
    info = data.staff.get(staff_id)
    return info.name if info else staff_id


def staff_table(data: ReportData) -> Table:
    """Section 3: one line per officer; officers under the minimum sample are "chưa đủ mẫu", never ranked."""
    ranked = [r for r in data.staff_rows if r.get("key") is not None and not r.get("insufficient")]
    ranked.sort(key=lambda r: (-(r.get("satisfaction_index") or 0.0), -r["n"]))
    rank = {r["key"]: i + 1 for i, r in enumerate(ranked)}
    rest = [r for r in data.staff_rows if r not in ranked]
    rest.sort(key=lambda r: (r.get("key") is None, staff_name(data, r.get("key"))))
    body, numbers = [], []
    for i, r in enumerate([*ranked, *rest], start=1):
        sid = r.get("key")
        info = data.staff.get(sid) if sid else None
        insufficient = bool(r.get("insufficient")) or sid is None
        body.append(
            [
                str(i),
                staff_name(data, sid),
                ", ".join(x for x in (info.title, info.counter) if x) if info else "",
                fmt_int(r["n"]),
                fmt_pct(r.get("satisfaction_index")),
                fmt_interval(r.get("satisfaction_ci95")),
                fmt_pct(r.get("friendly_index")),
                INSUFFICIENT if r.get("insufficient") else ("" if insufficient else str(rank[sid])),
            ]
        )
        numbers.append(
            [i, None, None, r["n"], r.get("satisfaction_index"), None, r.get("friendly_index"), None]
        )
    return Table(
        title="Kết quả theo từng công chức",
        header=[
            "STT",
            "Họ và tên",
            "Chức danh, quầy",
            "Số phiếu",
            "Hài lòng (%)",
            "Khoảng tin cậy 95%",
            "Thân thiện (%)",
            "Xếp hạng",
        ],
        rows=body,
        numbers=numbers,
    )


def unit_table(data: ReportData) -> Table:
    """Section 3 of a report for a unit with child units: one line per child unit, ranked like officers."""
    rows = [(u, r) for u, r in data.children]
    ranked = sorted(
        (x for x in rows if x[1] and not x[1].get("insufficient")),
        key=lambda x: (-((x[1] or {}).get("satisfaction_index") or 0.0), x[0].name),
    )
    rank = {u.code: i + 1 for i, (u, _r) in enumerate(ranked)}
    rest = sorted((x for x in rows if x[0].code not in rank), key=lambda x: x[0].name)
    body, numbers = [], []
    for i, (unit, r) in enumerate([*ranked, *rest], start=1):
        row = r or {}
        n = row.get("n", 0)
        label = str(rank[unit.code]) if unit.code in rank else (INSUFFICIENT if n else "chưa có phiếu")
        body.append(
            [
                str(i),
                unit.name,
                fmt_int(n),
                fmt_pct(row.get("satisfaction_index")),
                fmt_interval(row.get("satisfaction_ci95")),
                fmt_pct(row.get("friendly_index")),
                fmt_pct(row.get("service_index")),
                label,
            ]
        )
        numbers.append(
            [
                i,
                None,
                n,
                row.get("satisfaction_index"),
                None,
                row.get("friendly_index"),
                row.get("service_index"),
                None,
            ]
        )
    return Table(
        title="Kết quả theo đơn vị trực thuộc",
        header=[
            "STT",
            "Đơn vị",
            "Số phiếu",
            "Hài lòng (%)",
            "Khoảng tin cậy 95%",
            "Thân thiện (%)",
            "Phục vụ (%)",
            "Xếp hạng",
        ],
        rows=body,
        numbers=numbers,
    )


LEFT_COLUMNS = frozenset({"Họ và tên", "Chức danh, quầy", "Đơn vị", "Tiêu chí", "Hành vi"})


def people_section(data: ReportData) -> tuple[str, str, Table, list[float]]:
    """Section 3 as (heading, note, table, column width fractions): officers, or a parent's child units."""
    if data.children:
        note = f"Đơn vị có dưới {data.min_sample} phiếu trong kỳ được ghi “chưa đủ mẫu” và không xếp hạng."
        return (
            "3. Kết quả theo đơn vị trực thuộc",
            note,
            unit_table(data),
            [0.075, 0.24, 0.1, 0.1, 0.15, 0.11, 0.105, 0.12],
        )
    note = f"Công chức có dưới {data.min_sample} phiếu trong kỳ được ghi “chưa đủ mẫu” và không xếp hạng."
    widths = [0.075, 0.19, 0.18, 0.085, 0.1, 0.15, 0.1, 0.12]
    return "3. Kết quả theo công chức", note, staff_table(data), widths


def month_label(key: str) -> str:
    if len(key) == 7 and key[4] == "-":
        return f"T{int(key[5:])}/{key[:4]}"
    return key


def trend_table(data: ReportData) -> Table:
    """Section 4: the month-by-month trend up to the end of the period."""
    body, numbers = [], []
    for r in data.trend:
        body.append(
            [
                month_label(str(r["key"])),
                fmt_int(r["n"]),
                fmt_pct(r.get("satisfaction_index")),
                fmt_pct(r.get("friendly_index")),
                fmt_pct(r.get("service_index")),
            ]
        )
        numbers.append(
            [None, r["n"], r.get("satisfaction_index"), r.get("friendly_index"), r.get("service_index")]
        )
    return Table(
        title="Diễn biến theo tháng",
        header=["Tháng", "Số phiếu", "Hài lòng (%)", "Thân thiện (%)", "Phục vụ (%)"],
        rows=body,
        numbers=numbers,
    )


def violation_table(data: ReportData) -> Table:
    """Section 5: how often citizens met each "5 không" behaviour."""
    item = ((data.overall or {}).get("items") or {}).get(NAM_KHONG) or {}
    rates: Mapping[str, float] = item.get("violation_rates") or {}
    option_ids = list(data.labels.question_options.get(NAM_KHONG, ())) or list(rates)
    body, numbers = [], []
    for oid in option_ids:
        body.append([data.labels.options.get(oid, oid), fmt_pct(rates.get(oid))])
        numbers.append([None, rates.get(oid)])
    return Table(
        title=f"Hành vi “5 không” được người dân phản ánh (trên {fmt_int(item.get('n', 0))} phiếu trả lời)",
        header=["Hành vi", "Tỷ lệ phiếu phản ánh (%)"],
        rows=body,
        numbers=numbers,
    )


def _subjects(data: ReportData) -> list[tuple[str, Row]]:
    """Who a report ranks: its child units (a parent unit's report) or its officers, with their rows."""
    if data.children:
        return [(unit.name, row) for unit, row in data.children if row]
    return [(staff_name(data, r["key"]), r) for r in data.staff_rows if r.get("key") is not None]


def violation_lines(data: ReportData) -> list[str]:
    """Who the "5 không" reports concern (rates only; single ballots stay private)."""
    item = ((data.overall or {}).get("items") or {}).get(NAM_KHONG) or {}
    if not item.get("n"):
        return ["Chưa có phiếu trả lời về các hành vi “5 không” trong kỳ."]
    compliance = item.get("index")
    lines = [f"Tỷ lệ phiếu không gặp hành vi vi phạm nào: {fmt_pct(compliance)}%."]
    who = "Đơn vị" if data.children else "Công chức"
    named = []
    for name, r in _subjects(data):
        own = (r.get("items") or {}).get(NAM_KHONG) or {}
        if own.get("index") is not None and own["index"] < 100.0:
            named.append(
                (own["index"], name + (", chưa đủ mẫu" if r.get("insufficient") else ""), own.get("n", 0))
            )
    if named:
        named.sort()
        parts = [f"{name} ({fmt_pct(100.0 - idx)}% trên {fmt_int(n)} phiếu)" for idx, name, n in named]
        lines.append(f"{who} có phiếu phản ánh hành vi vi phạm: " + "; ".join(parts) + ".")
    else:
        lines.append(f"Không có {who.lower()} nào bị phản ánh hành vi vi phạm.")
    return lines


def comment_lines(data: ReportData) -> list[str]:
    """Section 6: the comments, summarised; phone numbers are never printed."""
    lines = [
        f"Số phiếu có ý kiến góp ý: {fmt_int(data.comment_count)}; "
        f"số người đồng ý để lại số điện thoại để được liên hệ phản hồi: {fmt_int(data.contact_count)}."
    ]
    if data.comments:
        lines.append("Một số ý kiến tiêu biểu:")
        for c in data.comments:
            who = (f", tại {in_sentence(c.place)}" if c.place else "") + (
                f", về {c.staff_name}" if c.staff_name else ""
            )
            lines.append(f"- Ngày {c.day.day:02d}/{c.day.month:02d}{who}: “{' '.join(nfc(c.text).split())}”")
    return lines


def proposals(data: ReportData) -> list[str]:
    """Section II: proposals that follow from the figures (rule of thumb, for the leader to edit).

    Never drawn from a figure under the minimum sample: such groups, items and officers are left out.
    """
    row = data.overall
    if not row:
        return ["Bố trí máy đánh giá tại Bộ phận Tiếp nhận và Trả kết quả và hướng dẫn người dân sử dụng."]
    out: list[str] = []
    if row.get("insufficient"):
        out.append(
            "Tăng cường hướng dẫn, mời người dân đánh giá sau khi giải quyết thủ tục "
            "để đủ số phiếu tối thiểu."
        )
    groups: Mapping[str, float | None] = row.get("groups") or {}
    scored = [
        (v, g)
        for g, v in groups.items()
        if v is not None and not row.get("insufficient") and group_sample(data, g) >= data.min_sample
    ]
    if scored:
        low, gid = min(scored)
        if low < 90.0:
            out.append(
                f"Tập trung cải thiện nhóm tiêu chí “{data.labels.group(gid)}” "
                f"(thấp nhất, {fmt_pct(low)}%): quán triệt lại Quy tắc ứng xử tại các buổi giao ban."
            )
    item = (row.get("items") or {}).get(NAM_KHONG) or {}
    if item.get("index") is not None and item["index"] < 100.0 and item.get("n", 0) >= data.min_sample:
        out.append(
            "Kiểm tra, xác minh các phản ánh về hành vi “5 không”; xử lý nghiêm nếu có vi phạm "
            "và công khai kết quả xử lý."
        )
    weak = [
        name
        for name, r in _subjects(data)
        if not r.get("insufficient")
        and r.get("satisfaction_index") is not None
        and r["satisfaction_index"] < 80.0
    ]
    if weak and data.children:
        out.append(
            "Chỉ đạo các đơn vị có chỉ số hài lòng dưới 80% rà soát, khắc phục: " + ", ".join(weak) + "."
        )
    elif weak:
        out.append(
            "Nhắc nhở, bồi dưỡng kỹ năng giao tiếp cho công chức có chỉ số dưới 80%: " + ", ".join(weak) + "."
        )
    if comparable(data) and data.previous and row.get("satisfaction_index") is not None:
        before = data.previous.get("satisfaction_index")
        if before is not None and row["satisfaction_index"] < before - 2.0:
            out.append(
                "Phân tích nguyên nhân chỉ số hài lòng giảm so với kỳ trước và có biện pháp khắc phục."
            )
    if data.comment_count:
        out.append("Trả lời, phản hồi các ý kiến góp ý của người dân đã đồng ý để lại số điện thoại.")
    who = "đơn vị" if data.children else "công chức"
    out.append(f"Biểu dương, khen thưởng {who} có chỉ số hài lòng cao và ổn định.")
    return out
