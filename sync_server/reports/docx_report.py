"""The report as a Word document laid out as a Vietnamese administrative text (NĐ 30/2020/NĐ-CP).

>>> Path("bao-cao.docx").write_bytes(render_docx(data))
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from sync_server.reports import content as c
from sync_server.reports.charts import trend_png

__all__ = ["render_docx"]

FONT = "Times New Roman"


def _set_font(
    run: object, size: float, bold: bool = False, italic: bool = False, underline: bool = False
) -> None:
    run.font.name = FONT  # type: ignore[attr-defined]
    run.font.size = Pt(size)  # type: ignore[attr-defined]
    run.font.bold = bold  # type: ignore[attr-defined]
    run.font.italic = italic  # type: ignore[attr-defined]
    run.font.underline = underline  # type: ignore[attr-defined]


def _para(
    container: object,
    text: str,
    size: float = 14,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = False,
    after: float = 3,
) -> object:
    p = container.add_paragraph()  # type: ignore[attr-defined]
    p.alignment = align
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.space_before = Pt(0)
    if indent:
        p.paragraph_format.first_line_indent = Cm(1.0)
    _set_font(p.add_run(c.nfc(text)), size, bold, italic, underline)
    return p


def _no_borders(table: object) -> None:
    tbl_pr = table._tbl.tblPr  # type: ignore[attr-defined]
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _short_rule(paragraph: object) -> None:
    """A short centred line under a heading (the NĐ 30 rule under the issuer and the tiêu ngữ)."""
    _set_font(paragraph.add_run("\n" + "—" * 6), 10)  # type: ignore[attr-defined]


def _cell(cell: object, lines: Sequence[tuple[str, float, bool, bool, bool]]) -> None:
    first = True
    for text, size, bold, italic, underline in lines:
        p = cell.paragraphs[0] if first else cell.add_paragraph()  # type: ignore[attr-defined]
        first = False
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        _set_font(p.add_run(c.nfc(text)), size, bold, italic, underline)


def _header(doc: object, data: c.ReportData) -> None:
    parent, issuer = c.issuer_lines(data)
    table = doc.add_table(rows=2, cols=2)  # type: ignore[attr-defined]
    _no_borders(table)
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.columns[0].width = Cm(6.5)
    table.columns[1].width = Cm(9.5)
    for row in table.rows:
        row.cells[0].width = Cm(6.5)
        row.cells[1].width = Cm(9.5)
    left = [(parent, 13, False, False, False)] if parent else []
    left.append((issuer, 13, True, False, False))
    _cell(table.cell(0, 0), left)
    _short_rule(table.cell(0, 0).paragraphs[-1])
    _cell(
        table.cell(0, 1),
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12.5, True, False, False),
            ("Độc lập - Tự do - Hạnh phúc", 13, True, False, True),
        ],
    )
    _cell(table.cell(1, 0), [(c.doc_number(data), 13, False, False, False)])
    _cell(table.cell(1, 1), [(c.place_and_date(data), 14, False, True, False)])


def _table(doc: object, table: c.Table, widths: list[float] | None = None) -> None:
    _para(doc, table.title, 13, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, after=2)
    t = doc.add_table(rows=1, cols=len(table.header))  # type: ignore[attr-defined]
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, text in enumerate(table.header):
        _cell(t.rows[0].cells[i], [(text, 12, True, False, False)])
    for body in table.rows:
        cells = t.add_row().cells
        for i, text in enumerate(body):
            _cell(cells[i], [(text, 12, body[0] == "Chỉ số nhóm", False, False)])
            if table.header[i] in c.LEFT_COLUMNS:
                cells[i].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT
    if widths:
        for row in t.rows:
            for i, w in enumerate(widths):
                row.cells[i].width = Cm(w)
    _para(doc, "", 6, after=0)


def render_docx(data: c.ReportData) -> bytes:
    """Build the report as DOCX bytes: Times New Roman 13–14 pt, A4, NĐ 30/2020 margins and layout."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    doc.core_properties.title = c.nfc(" ".join(c.title_lines(data)))
    doc.core_properties.author = c.nfc(data.unit.name)
    doc.core_properties.language = "vi-VN"

    _header(doc, data)
    _para(doc, "", 8, after=0)
    heading, subject = c.title_lines(data)
    _para(doc, heading, 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    p = _para(doc, subject, 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _short_rule(p)
    if c.addressee(data):
        _para(doc, c.addressee(data), 14, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    _para(
        doc,
        c.intro_text(data),
        indent=True,
    )

    _para(doc, "I. KẾT QUẢ ĐO LƯỜNG", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(doc, "1. Kết quả chung", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in c.headline_lines(data):
        _para(doc, "- " + line, indent=True)

    _para(doc, "2. Kết quả theo nhóm tiêu chí", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for table in c.group_tables(data):
        _table(doc, table, [9.0, 3.0, 4.0])

    heading, note, people, fractions = c.people_section(data)
    _para(doc, heading, 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(doc, note, indent=True)
    _table(doc, people, [16.5 * f for f in fractions])

    _para(doc, "4. Diễn biến qua các tháng", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    png = trend_png(data)
    if png:
        doc.add_picture(io.BytesIO(png), width=Cm(16))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _table(doc, c.trend_table(data), [3.0, 3.0, 3.3, 3.3, 3.4])

    _para(doc, "5. Việc thực hiện “5 không”", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in c.violation_lines(data):
        _para(doc, "- " + line, indent=True)
    _table(doc, c.violation_table(data), [11.0, 5.0])

    _para(doc, "6. Ý kiến góp ý của người dân", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in c.comment_lines(data):
        _para(doc, line if line.startswith("- ") else "- " + line, indent=True)

    _para(doc, "II. ĐỀ XUẤT, KIẾN NGHỊ", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for i, line in enumerate(c.proposals(data), start=1):
        _para(doc, f"{i}. {line}", indent=True)
    _para(
        doc,
        c.closing_text(data),
        indent=True,
        after=8,
    )
    _footer(doc, data)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _footer(doc: object, data: c.ReportData) -> None:
    table = doc.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    _no_borders(table)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(8), Cm(8)
    p = left.paragraphs[0]
    p.paragraph_format.space_after = Pt(0)
    _set_font(p.add_run("Nơi nhận:"), 12, bold=True, italic=True)
    for line in c.recipients(data):
        q = left.add_paragraph()
        q.paragraph_format.space_after = Pt(0)
        _set_font(q.add_run(c.nfc(line)), 11)
    lines = [(text, 14, True, False, False) for text in c.signature_lines(data)]
    lines += [("", 14, False, False, False)] * 4
    name = c.signer_name(data)
    if name:
        lines.append((name, 14, True, False, False))
    _cell(right, lines)
