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
from docx.shared import Cm, Pt, Twips

from sync_server.reports import content as c
from sync_server.reports.charts import trend_png

__all__ = ["render_docx"]

FONT = "Times New Roman"
TEXT_CM = 16.5  # A4 21 cm less the 3 cm and 1,5 cm margins


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
    after: float = 6,
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
    tbl_pr.insert_element_before(borders, *_AFTER_TBLBORDERS)


_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
    "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
# The tblPr children that follow tblW, tblBorders and tblLayout in the schema's order.
_AFTER_TBLW = ("w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout",
               "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")  # fmt: skip
_AFTER_TBLBORDERS = _AFTER_TBLW[4:]
_AFTER_TBLLAYOUT = _AFTER_TBLW[6:]


def _rule(container: object, width: float, length: float) -> None:
    """A solid centred rule `length` cm long in a space `width` cm wide (NĐ 30's line under a name)."""
    p = container.add_paragraph()  # type: ignore[attr-defined]
    side = Cm(max(0.0, (width - length) / 2))
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = side
    p.paragraph_format.space_after = Pt(4)
    p.paragraph_format.space_before = Pt(0)
    # A 4 pt empty paragraph (its mark set small too) whose bottom border is the rule.
    _set_font(p.add_run(""), 4)
    mark = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "8")
    mark.append(size)
    p._p.get_or_add_pPr().append(mark)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    # Word rejects a pPr whose children are out of the schema's order.
    p._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_PBDR)


def fix_widths(table: object, widths: Sequence[float]) -> None:
    """Column widths (cm) in the grid, the table and every cell alike, layout fixed.

    python-docx writes equal `w:gridCol` widths whatever the cells say; LibreOffice follows the grid,
    so the two must agree or the columns come out equal and cramped.
    """
    t = table._tbl  # type: ignore[attr-defined]
    table.autofit = False  # type: ignore[attr-defined]
    grid = t.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    pr = t.tblPr
    for tag in ("w:tblW", "w:tblLayout"):
        for old in pr.findall(qn(tag)):
            pr.remove(old)
    tbl_w = OxmlElement("w:tblW")
    tbl_w.set(qn("w:w"), str(int(Cm(sum(widths)).twips)))
    tbl_w.set(qn("w:type"), "dxa")
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    pr.insert_element_before(tbl_w, *_AFTER_TBLW)
    pr.insert_element_before(layout, *_AFTER_TBLLAYOUT)
    for row in table.rows:  # type: ignore[attr-defined]
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Cm(w)


def _cell(cell: object, lines: Sequence[tuple[str, float, bool, bool, bool]]) -> None:
    first = True
    for text, size, bold, italic, underline in lines:
        p = cell.paragraphs[0] if first else cell.add_paragraph()  # type: ignore[attr-defined]
        first = False
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        _set_font(p.add_run(c.nfc(text)), size, bold, italic, underline)


LEFT_CM, RIGHT_CM = 6.5, 10.0  # the header's two columns over the 16,5 cm text width


def _header(doc: object, data: c.ReportData) -> None:
    parent, issuer = c.issuer_lines(data)
    table = doc.add_table(rows=2, cols=2)  # type: ignore[attr-defined]
    _no_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    fix_widths(table, [LEFT_CM, RIGHT_CM])
    left = [(parent, 13, False, False, False)] if parent else []
    left.append((issuer, 13, True, False, False))
    _cell(table.cell(0, 0), left)
    _rule(table.cell(0, 0), LEFT_CM, LEFT_CM * 0.4)
    _cell(
        table.cell(0, 1),
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12.5, True, False, False),
            ("Độc lập - Tự do - Hạnh phúc", 13.5, True, False, True),
        ],
    )
    _cell(table.cell(1, 0), [(c.doc_number(data), 13, False, False, False)])
    _cell(table.cell(1, 1), [(c.place_and_date(data), 14, False, True, False)])
    for cell in table.rows[1].cells:
        cell.paragraphs[0].paragraph_format.space_before = Pt(6)


def _page_numbers(doc: object) -> None:
    """NĐ 30/2020: Arabic page numbers, size 13, centred in the top margin, none on the first page."""
    section = doc.sections[0]  # type: ignore[attr-defined]
    section.different_first_page_header_footer = True
    section.header_distance = Cm(1.0)
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    _set_font(run, 13)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, None), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)
        elif text:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {text} "
            run._r.append(instr)
        else:
            shown = OxmlElement("w:t")
            shown.text = "2"
            run._r.append(shown)


# A table this short is kept on one page with its caption; a longer one keeps its first rows.
KEEP_WHOLE_ROWS = 16


def _table(doc: object, table: c.Table, widths: list[float]) -> None:
    caption = _para(doc, table.title, 13, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, after=3)
    caption.paragraph_format.keep_with_next = True  # type: ignore[attr-defined]
    t = doc.add_table(rows=1, cols=len(table.header))  # type: ignore[attr-defined]
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, text in enumerate(table.header):
        _cell(t.rows[0].cells[i], [(text, 11, True, False, False)])
    for body in table.rows:
        cells = t.add_row().cells
        for i, text in enumerate(body):
            _cell(cells[i], [(text, 12, body[0] == "Chỉ số nhóm", False, False)])
            if table.header[i] in c.LEFT_COLUMNS:
                cells[i].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT
    fix_widths(t, widths)
    _repeat_header(t.rows[0])
    rows = t.rows
    kept = rows[:-1] if len(rows) <= KEEP_WHOLE_ROWS else rows[:2]
    for row in kept:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True
    _para(doc, "", 6, after=0)


def _repeat_header(row: object) -> None:
    pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    pr.append(el)


def render_docx(data: c.ReportData) -> bytes:
    """Build the report as DOCX bytes: Times New Roman 13–14 pt, A4, NĐ 30/2020 margins and layout."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    # 1,5 cm is 850,4 twips: Word stores whole twips, so round up to stay within NĐ 30's 15–20 mm.
    section.left_margin, section.right_margin = Cm(3), Twips(851)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    doc.core_properties.title = c.nfc(" ".join(c.title_lines(data)))
    doc.core_properties.author = c.nfc(data.unit.name)
    doc.core_properties.language = "vi-VN"

    _page_numbers(doc)
    _header(doc, data)
    _para(doc, "", 8, after=0)
    heading, subject = c.title_lines(data)
    _para(doc, heading, 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _para(doc, subject, 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _rule(doc, TEXT_CM, TEXT_CM / 3)
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
        _table(doc, table, [5.7, 2.0, 2.3, 3.5, 3.0])

    heading, note, people, fractions = c.people_section(data)
    _para(doc, heading, 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(doc, note, indent=True)
    _table(doc, people, [TEXT_CM * f for f in fractions])

    _para(doc, "4. Diễn biến qua các tháng", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    png = trend_png(data)
    if png:
        doc.add_picture(io.BytesIO(png), width=Cm(16))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _table(doc, c.trend_table(data), [3.0, 3.0, 3.5, 3.5, 3.5])

    _para(doc, "5. Việc thực hiện “5 không”", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in c.violation_lines(data):
        _para(doc, "- " + line, indent=True)
    _table(doc, c.violation_table(data), [11.5, 5.0])

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
    fix_widths(table, [7.5, 9.0])
    left, right = table.rows[0].cells
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
