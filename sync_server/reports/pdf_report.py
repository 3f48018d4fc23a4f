"""The report as PDF (reportlab), with the same content and layout as the DOCX, in Noto Serif.

>>> Path("bao-cao.pdf").write_bytes(render_pdf(data))
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from threading import Lock
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from sync_server.reports import content as c
from sync_server.reports.charts import trend_png
from sync_server.reports.fonts import font_path

__all__ = ["render_pdf"]

FAMILY = "ReportSerif"
_registered = False
_lock = Lock()


def _register_fonts() -> None:
    global _registered
    with _lock:
        if _registered:
            return
        names = {}
        for style in ("regular", "bold", "italic", "bolditalic"):
            name = f"{FAMILY}-{style}"
            pdfmetrics.registerFont(TTFont(name, str(font_path("serif", style))))
            names[style] = name
        pdfmetrics.registerFontFamily(
            FAMILY,
            normal=names["regular"],
            bold=names["bold"],
            italic=names["italic"],
            boldItalic=names["bolditalic"],
        )
        _registered = True


def _style(size: float = 13, align: int = TA_JUSTIFY, indent: float = 0, after: float = 3) -> ParagraphStyle:
    return ParagraphStyle(
        f"s{size}{align}{indent}{after}",
        fontName=f"{FAMILY}-regular",
        fontSize=size,
        leading=size * 1.3,
        alignment=align,
        firstLineIndent=indent,
        spaceAfter=after,
    )


def _p(
    text: str,
    size: float = 13,
    *,
    align: int = TA_JUSTIFY,
    indent: float = 0,
    after: float = 3,
    markup: str = "",
) -> Paragraph:
    body = escape(c.nfc(text)).replace("\n", "<br/>")
    for tag in markup:
        body = f"<{tag}>{body}</{tag}>"
    return Paragraph(body, _style(size, align, indent, after))


def _centre(lines: Sequence[tuple[str, float, str]]) -> list[Paragraph]:
    return [_p(text, size, align=TA_CENTER, after=0, markup=markup) for text, size, markup in lines]


def _header(data: c.ReportData, width: float) -> Table:
    parent, issuer = c.issuer_lines(data)
    left = ([(parent, 12, "")] if parent else []) + [(issuer, 12, "b"), ("———", 9, "")]
    right = [
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 11.5, "b"),
        ("Độc lập - Tự do - Hạnh phúc", 12.5, "bu"),
    ]
    table = Table(
        [
            [_centre(left), _centre(right)],
            [_centre([(c.doc_number(data), 12, "")]), _centre([(c.place_and_date(data), 12.5, "i")])],
        ],
        colWidths=[width * 0.4, width * 0.6],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 1), (-1, 1), 6)]))
    return table


def _grid(table: c.Table, widths: list[float]) -> list[object]:
    cell = _style(10.5, TA_CENTER, after=0)
    left = _style(10.5, TA_LEFT, after=0)
    head = [Paragraph(f"<b>{escape(h)}</b>", cell) for h in table.header]
    rows: list[list[object]] = [head]
    for body in table.rows:
        bold = body[0] == "Chỉ số nhóm"
        out: list[object] = []
        for i, text in enumerate(body):
            text = escape(c.nfc(text))
            style = left if table.header[i] in c.LEFT_COLUMNS else cell
            out.append(Paragraph(f"<b>{text}</b>" if bold else text, style))
        rows.append(out)
    grid = Table(rows, colWidths=widths, repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]
        )
    )
    return [_p(table.title, 12, align=TA_LEFT, after=2, markup="bi"), grid, Spacer(1, 6)]


def render_pdf(data: c.ReportData) -> bytes:
    """Build the report as PDF bytes (A4, NĐ 30/2020 margins)."""
    _register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=3 * cm,
        rightMargin=1.5 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=c.nfc(" ".join(c.title_lines(data))),
        author=c.nfc(data.unit.name),
        lang="vi-VN",
    )
    width = A4[0] - 4.5 * cm
    indent = 1 * cm
    story: list[object] = [_header(data, width), Spacer(1, 12)]
    heading, subject = c.title_lines(data)
    story += _centre([(heading, 13.5, "b"), (subject, 13.5, "b"), ("———", 9, "")])
    if c.addressee(data):
        story.append(_p(c.addressee(data), 13, align=TA_CENTER, after=8))
    story.append(
        _p(
            c.intro_text(data),
            indent=indent,
        )
    )

    def heading_p(text: str) -> Paragraph:
        return _p(text, 13, align=TA_LEFT, after=3, markup="b")

    story.append(heading_p("I. KẾT QUẢ ĐO LƯỜNG"))
    story.append(heading_p("1. Kết quả chung"))
    story += [_p("- " + line, indent=indent) for line in c.headline_lines(data)]
    story.append(heading_p("2. Kết quả theo nhóm tiêu chí"))
    for table in c.group_tables(data):
        story.append(KeepTogether(_grid(table, [width * 0.6, width * 0.17, width * 0.23])))
    heading3, note, people, fractions = c.people_section(data)
    story.append(heading_p(heading3))
    story.append(_p(note, indent=indent))
    story += _grid(people, [width * f for f in fractions])
    story.append(heading_p("4. Diễn biến qua các tháng"))
    png = trend_png(data)
    if png:
        story.append(Image(io.BytesIO(png), width=width, height=width * 2.6 / 6.3))
    story.append(KeepTogether(_grid(c.trend_table(data), [width * 0.2] * 5)))
    story.append(heading_p("5. Việc thực hiện “5 không”"))
    story += [_p("- " + line, indent=indent) for line in c.violation_lines(data)]
    story.append(KeepTogether(_grid(c.violation_table(data), [width * 0.7, width * 0.3])))
    story.append(heading_p("6. Ý kiến góp ý của người dân"))
    story += [
        _p(line if line.startswith("- ") else "- " + line, indent=indent) for line in c.comment_lines(data)
    ]
    story.append(heading_p("II. ĐỀ XUẤT, KIẾN NGHỊ"))
    story += [_p(f"{i}. {line}", indent=indent) for i, line in enumerate(c.proposals(data), start=1)]
    story.append(
        _p(
            c.closing_text(data),
            indent=indent,
            after=10,
        )
    )
    left = [_p("Nơi nhận:", 11.5, align=TA_LEFT, after=0, markup="bi")]
    left += [_p(line, 10.5, align=TA_LEFT, after=0) for line in c.recipients(data)]
    signed = [(text, 13, "b") for text in c.signature_lines(data)]
    name = c.signer_name(data)
    if name:
        signed += [("\u00a0", 13, "")] * 4 + [(name, 13, "b")]
    right = _centre(signed)
    footer = Table([[left, right]], colWidths=[width * 0.5, width * 0.5])
    footer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(KeepTogether([footer]))
    doc.build(story)
    return out.getvalue()
