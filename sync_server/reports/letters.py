"""The plan's apology letter: "Phiếu xin lỗi và hẹn lại ngày trả kết quả" (Mẫu 04, Thông tư 01/2018/TT-VPCP),
in the layout of Nghị định 30/2020 like the reports, numbered in a register per unit and year.

>>> letter = create_letter(session, unit, LetterFields(...), by="lanhdao", today=date(2026, 3, 5))
>>> letter_file(LetterView.of(letter, unit_info), "pdf")        # or "docx"
>>> rows, errors = read_late_dossiers("ho-so-tre-han.csv", blob)  # the one-stop system's export
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from sync_server.models import ApologyLetter, Unit
from sync_server.reports import content as c
from sync_server.reports.spreadsheet import as_text

__all__ = [
    "IMPORT_COLUMNS",
    "LetterError",
    "LetterFields",
    "LetterView",
    "create_letter",
    "letter_file",
    "letter_filename",
    "letter_lines",
    "read_late_dossiers",
    "register_xlsx",
]


class LetterError(ValueError):
    """A letter's fields, or an imported list, do not make sense (one sentence in Vietnamese)."""


@dataclass(frozen=True)
class LetterFields:
    """What the leader types in the form (or a row of the imported list)."""

    dossier_code: str
    procedure: str
    applicant: str
    promised_on: dt.date
    new_on: dt.date
    reason: str
    received_on: dt.date | None = None

    def checked(self) -> LetterFields:
        """The fields trimmed and in NFC; raises LetterError naming what is missing or wrong."""
        values = {
            "mã hồ sơ": (self.dossier_code, 100),
            "thủ tục": (self.procedure, 500),
            "tổ chức, cá nhân": (self.applicant, 300),
            "lý do": (self.reason, 2000),
        }
        for label, (value, limit) in values.items():
            text = c.nfc(value).strip()
            if not text:
                raise LetterError(f"Thiếu {label}.")
            if len(text) > limit:
                raise LetterError(f"{label.capitalize()} dài quá {limit} ký tự.")
        if self.new_on <= self.promised_on:
            raise LetterError("Ngày hẹn trả mới phải sau ngày hẹn trả theo quy định.")
        if self.received_on is not None and self.received_on > self.promised_on:
            raise LetterError("Ngày tiếp nhận phải trước ngày hẹn trả.")
        return LetterFields(
            dossier_code=c.nfc(self.dossier_code).strip(),
            procedure=c.nfc(self.procedure).strip(),
            applicant=c.nfc(self.applicant).strip(),
            promised_on=self.promised_on,
            new_on=self.new_on,
            reason=" ".join(c.nfc(self.reason).split()),
            received_on=self.received_on,
        )


def create_letter(
    session: Session, unit: Unit, fields: LetterFields, *, by: str, today: dt.date
) -> ApologyLetter:
    """Check the fields and add the letter to the register with the unit's next number of the year."""
    assert unit.id is not None
    fields = fields.checked()
    last = session.execute(
        select(func.max(ApologyLetter.number)).where(
            col(ApologyLetter.unit_id) == unit.id, col(ApologyLetter.year) == today.year
        )
    ).scalar_one()
    letter = ApologyLetter(
        unit_id=unit.id,
        year=today.year,
        number=int(last or 0) + 1,
        dossier_code=fields.dossier_code,
        procedure=fields.procedure,
        applicant=fields.applicant,
        received_on=fields.received_on,
        promised_on=fields.promised_on,
        new_on=fields.new_on,
        reason=fields.reason,
        issued_on=today,
        created_by=by,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(letter)
    session.flush()
    return letter


# ------------------------------------------------------------------------------------------ the letter


@dataclass(frozen=True)
class LetterView:
    """A letter with the unit's names, ready to be laid out."""

    letter: ApologyLetter
    unit: c.UnitInfo

    @classmethod
    def of(cls, letter: ApologyLetter, unit: c.UnitInfo) -> LetterView:
        return cls(letter, unit)

    @property
    def number(self) -> str:
        return f"Số: {self.letter.number:02d}/PXL-BPTNTKQ"

    @property
    def issuer(self) -> tuple[str, str]:
        return f"UBND {self.unit.upper_name}", "BỘ PHẬN TIẾP NHẬN\nVÀ TRẢ KẾT QUẢ"

    @property
    def place_and_date(self) -> str:
        d = self.letter.issued_on
        month = f"{d.month:02d}" if d.month < 3 else str(d.month)
        return f"{self.unit.place}, ngày {d.day:02d} tháng {month} năm {d.year}"


TITLE = "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"


def _d(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def letter_lines(view: LetterView) -> list[str]:
    """The body of Mẫu 04, one paragraph a line."""
    x = view.letter
    desk = f"Bộ phận Tiếp nhận và Trả kết quả UBND {view.unit.in_sentence}"
    received = f"Ngày {_d(x.received_on)}, " if x.received_on else ""
    opening = f"{received}{desk} tiếp nhận" if received else f"{desk} đã tiếp nhận"
    return [
        f"{opening} hồ sơ của ông (bà)/tổ chức {x.applicant} về việc {x.procedure}; "
        f"mã hồ sơ: {x.dossier_code}.",
        f"Thời hạn giải quyết và trả kết quả hồ sơ theo quy định là ngày {_d(x.promised_on)}.",
        f"Tuy nhiên, đến nay, {desk} chưa trả kết quả giải quyết hồ sơ cho ông (bà)/tổ chức đúng thời hạn "
        "quy định ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.",
        f"Lý do: {x.reason}",
        "Sự chậm trễ này đã gây phiền hà cho ông (bà)/tổ chức.",
        f"{desk} xin lỗi ông (bà)/tổ chức và sẽ trả kết quả giải quyết hồ sơ cho ông (bà)/tổ chức "
        f"vào ngày {_d(x.new_on)}.",
        "Xin trân trọng cảm ơn sự hợp tác của ông (bà)/tổ chức./.",
    ]


SIGNATURE = "TRƯỞNG BỘ PHẬN"
RECIPIENTS = ("- Như trên;", "- Lưu: VT, BPTNTKQ.")


def letter_filename(view: LetterView, fmt: str) -> str:
    x = view.letter
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in view.unit.code)
    return f"phieu-xin-loi-{safe}-{x.year}-{x.number:02d}.{fmt}"


def letter_file(view: LetterView, fmt: str) -> bytes:
    """The letter as DOCX or PDF bytes."""
    if fmt == "docx":
        return _docx(view)
    if fmt == "pdf":
        return _pdf(view)
    raise ValueError(f"format {fmt!r} is not docx or pdf.")


def _docx(view: LetterView) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, Twips

    from sync_server.reports import docx_report as d

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Twips(851)
    normal = doc.styles["Normal"]
    normal.font.name = d.FONT
    normal.font.size = Pt(14)
    doc.core_properties.title = TITLE
    doc.core_properties.language = "vi-VN"
    parent, issuer = view.issuer
    table = doc.add_table(rows=2, cols=2)
    d._no_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    d.fix_widths(table, [d.LEFT_CM, d.RIGHT_CM])
    d._cell(table.cell(0, 0), [(parent, 13, False, False, False), (issuer, 13, True, False, False)])
    d._rule(table.cell(0, 0), d.LEFT_CM, d.LEFT_CM * 0.4)
    d._cell(
        table.cell(0, 1),
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12.5, True, False, False),
            ("Độc lập - Tự do - Hạnh phúc", 13.5, True, False, True),
        ],
    )
    d._cell(table.cell(1, 0), [(view.number, 13, False, False, False)])
    d._cell(table.cell(1, 1), [(view.place_and_date, 14, False, True, False)])
    d._para(doc, "", 8, after=0)
    d._para(doc, TITLE, 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    d._rule(doc, d.TEXT_CM, d.TEXT_CM / 3)
    d._para(doc, f"Kính gửi: {view.letter.applicant}", 14, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    for line in letter_lines(view):
        d._para(doc, line, indent=True)
    footer = doc.add_table(rows=1, cols=2)
    d._no_borders(footer)
    d.fix_widths(footer, [7.5, 9.0])
    left, right = footer.rows[0].cells
    p = left.paragraphs[0]
    d._set_font(p.add_run("Nơi nhận:"), 12, bold=True, italic=True)
    for line in RECIPIENTS:
        q = left.add_paragraph()
        q.paragraph_format.space_after = Pt(0)
        d._set_font(q.add_run(line), 11)
    d._cell(right, [(SIGNATURE, 14, True, False, False), ("(Ký và ghi rõ họ tên)", 14, False, True, False)])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _pdf(view: LetterView) -> bytes:
    from reportlab.lib.enums import TA_CENTER, TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    from sync_server.reports import pdf_report as p

    p.register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=3 * cm,
        rightMargin=1.5 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        initialFontName=f"{p.FAMILY}-regular",
        title=TITLE,
        lang="vi-VN",
    )
    width = A4[0] - 4.5 * cm
    parent, issuer = view.issuer
    left_w, right_w = width * 0.39, width * 0.61
    left = [*p._centre([(parent, 12, ""), (issuer, 12, "b")]), p.rule(left_w * 0.4, before=3)]
    right = p._centre([("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, "b"), (p.MOTTO, 13, "b")])
    right.append(p.rule(p._text_width(p.MOTTO, 13), before=3))
    header = Table(
        [[left, right], [p._centre([(view.number, 13, "")]), p._centre([(view.place_and_date, 13, "i")])]],
        colWidths=[left_w, right_w],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), p._CELL_FONT]))
    story: list[object] = [header, Spacer(1, 14)]
    story += p._centre([(TITLE, 14, "b")])
    story.append(p.rule(width / 3, before=5, after=6))
    story.append(p._p(f"Kính gửi: {view.letter.applicant}", 14, align=TA_CENTER, after=12))
    story += [p._p(line, indent=1 * cm) for line in letter_lines(view)]
    notes = [p._p("Nơi nhận:", 12, align=TA_LEFT, after=0, markup="bi")]
    notes += [p._p(line, 11, align=TA_LEFT, after=0) for line in RECIPIENTS]
    signed = p._centre([(SIGNATURE, 14, "b"), ("(Ký và ghi rõ họ tên)", 14, "i")])
    footer = Table([[notes, signed]], colWidths=[width * 0.45, width * 0.55])
    footer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), p._CELL_FONT]))
    story += [Spacer(1, 10), footer]
    doc.build(story, onLaterPages=p.page_number)
    return out.getvalue()


# ----------------------------------------------------------------------------- register and import

REGISTER_HEADER = [
    "Số",
    "Ngày phát hành",
    "Mã hồ sơ",
    "Thủ tục",
    "Tổ chức, cá nhân",
    "Ngày tiếp nhận",
    "Ngày hẹn trả",
    "Lý do chậm",
    "Ngày hẹn trả mới",
    "Người lập",
]


def register_xlsx(letters: Sequence[ApologyLetter], unit_name: str) -> bytes:
    """The register of apology letters as an XLSX sheet (text never becomes a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Sổ phiếu xin lỗi"
    ws.append([f"Sổ theo dõi Phiếu xin lỗi và hẹn lại ngày trả kết quả — {unit_name}"])
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    ws.append(REGISTER_HEADER)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for x in letters:
        ws.append(
            [
                f"{x.number:02d}/{x.year}",
                x.issued_on,
                x.dossier_code,
                x.procedure,
                x.applicant,
                x.received_on,
                x.promised_on,
                x.reason,
                x.new_on,
                x.created_by,
            ]
        )
        for column in (2, 6, 7, 9):
            ws.cell(row=ws.max_row, column=column).number_format = "dd/mm/yyyy"
    for letter, width in zip("ABCDEFGHIJ", (9, 13, 20, 40, 30, 13, 13, 40, 14, 14), strict=True):
        ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    as_text(wb).save(out)
    return out.getvalue()


# Columns of a list of late dossiers (the one-stop system's export): the name in the file, either spelling.
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "dossier_code": ("ma_ho_so", "mã hồ sơ", "số hồ sơ"),
    "procedure": ("thu_tuc", "tên thủ tục", "thủ tục"),
    "applicant": ("nguoi_nop", "tổ chức, cá nhân", "tổ chức/cá nhân", "chủ hồ sơ"),
    "received_on": ("ngay_tiep_nhan", "ngày tiếp nhận"),
    "promised_on": ("ngay_hen_tra", "ngày hẹn trả"),
    "reason": ("ly_do", "lý do", "lý do chậm"),
    "new_on": ("ngay_hen_moi", "ngày hẹn trả mới", "ngày hẹn mới"),
}
REQUIRED = ("dossier_code", "procedure", "applicant", "promised_on", "reason", "new_on")
MAX_IMPORT_ROWS = 2000


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise LetterError(f"“{text}” không phải là ngày (viết dd/mm/yyyy).")


def _table(filename: str, blob: bytes) -> list[list[object]]:
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            ws = load_workbook(io.BytesIO(blob), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # any unreadable upload is the user's file, said in one sentence
            raise LetterError("Không đọc được tệp XLSX này.") from exc
        return [list(row) for row in ws.iter_rows(values_only=True)]
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LetterError("Tệp CSV phải được lưu với bảng mã UTF-8.") from exc
    dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t") if text.strip() else csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def read_late_dossiers(filename: str, blob: bytes) -> tuple[list[LetterFields], list[str]]:
    """The rows of a CSV or XLSX list of late dossiers, or the errors (row numbers as the file shows them).

    A file with any bad row gives no rows at all, so an import is all or nothing.
    """
    rows = [r for r in _table(filename, blob) if any(v not in (None, "") for v in r)]
    if not rows:
        raise LetterError("Tệp không có dòng nào.")
    if len(rows) > MAX_IMPORT_ROWS + 1:
        raise LetterError(f"Mỗi lần nhập tối đa {MAX_IMPORT_ROWS} hồ sơ.")
    header = [c.nfc(str(v or "")).strip().lower() for v in rows[0]]
    where: dict[str, int] = {}
    for field, names in IMPORT_COLUMNS.items():
        for i, name in enumerate(header):
            if name in names:
                where[field] = i
                break
    missing = [IMPORT_COLUMNS[f][0] for f in REQUIRED if f not in where]
    if missing:
        raise LetterError("Thiếu cột: " + ", ".join(missing) + ".")
    found: list[LetterFields] = []
    errors: list[str] = []
    for number, row in enumerate(rows[1:], start=2):

        def cell(field: str, row: list[object] = row) -> object:
            i = where.get(field)
            return row[i] if i is not None and i < len(row) else None

        try:
            promised, new = _date(cell("promised_on")), _date(cell("new_on"))
            if promised is None or new is None:
                raise LetterError("thiếu ngày hẹn trả hoặc ngày hẹn trả mới.")
            fields = LetterFields(
                dossier_code=str(cell("dossier_code") or ""),
                procedure=str(cell("procedure") or ""),
                applicant=str(cell("applicant") or ""),
                promised_on=promised,
                new_on=new,
                reason=str(cell("reason") or ""),
                received_on=_date(cell("received_on")),
            ).checked()
        except LetterError as exc:
            errors.append(f"Dòng {number}: {exc}")
        else:
            found.append(fields)
    return ([] if errors else found), errors
