"""The report as PDF (reportlab), with the same content and layout as the DOCX, in Liberation Serif
(metric-compatible with Times New Roman, full Vietnamese coverage).

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
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from sync_server.reports import content as c
from sync_server.reports.charts import trend_png
from sync_server.reports.fonts import font_path

__all__ = ["page_number", "register_fonts", "render_pdf", "rule", "serif_paragraph"]

FAMILY = "ReportSerif"
KEEP_WHOLE_ROWS = 16  # a table this short stays on one page with its caption
# Tables set a font even when their cells hold paragraphs: ours, not reportlab's default Helvetica.
_CELL_FONT = ("FONTNAME", (0, 0), (-1, -1), f"{FAMILY}-regular")
_registered = False
_lock = Lock()


def register_fonts() -> None:
    """Register the serif family with reportlab once per process (thread-safe)."""
    _register_fonts()


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


def _style(size: float = 14, align: int = TA_JUSTIFY, indent: float = 0, after: float = 6) -> ParagraphStyle:
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
    size: float = 14,
    *,
    align: int = TA_JUSTIFY,
    indent: float = 0,
    after: float = 6,
    markup: str = "",
) -> Paragraph:
    body = escape(c.nfc(text)).replace("\n", "<br/>")
    for tag in markup:
        body = f"<{tag}>{body}</{tag}>"
    return Paragraph(body, _style(size, align, indent, after))


serif_paragraph = _p


class _Rule(Flowable):
    """A solid rule centred in whatever width it gets (a page or a table cell)."""

    def __init__(self, length: float, before: float, after: float) -> None:
        super().__init__()
        self.length, self.before, self.after = length, before, after
        self.avail = length

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.avail = avail_width
        return avail_width, self.before + self.after

    def draw(self) -> None:
        x = max(0.0, (self.avail - self.length) / 2)
        self.canv.setLineWidth(0.6)
        self.canv.line(x, self.after, x + min(self.length, self.avail), self.after)


def rule(length: float, before: float = 1, after: float = 2) -> Flowable:
    """A solid centred rule `length` points long (NĐ 30's line under a name or a title)."""
    return _Rule(length, before, after)


def _text_width(text: str, size: float, style: str = "bold") -> float:
    return pdfmetrics.stringWidth(c.nfc(text), f"{FAMILY}-{style}", size)


def page_number(canvas: Canvas, doc: SimpleDocTemplate) -> None:
    """NĐ 30/2020: the page number, size 13, centred in the top margin (pages after the first)."""
    canvas.saveState()
    canvas.setFont(f"{FAMILY}-regular", 13)
    canvas.drawCentredString(
        doc.leftMargin + doc.width / 2, A4[1] - doc.topMargin / 2 - 4, str(canvas.getPageNumber())
    )
    canvas.restoreState()


def _centre(lines: Sequence[tuple[str, float, str]]) -> list[Paragraph]:
    return [_p(text, size, align=TA_CENTER, after=0, markup=markup) for text, size, markup in lines]


MOTTO = "Độc lập - Tự do - Hạnh phúc"


def _header(data: c.ReportData, width: float) -> Table:
    parent, issuer = c.issuer_lines(data)
    left_w, right_w = width * 0.39, width * 0.61
    left: list[Flowable] = _centre(([(parent, 12, "")] if parent else []) + [(issuer, 12, "b")])
    left.append(rule(left_w * 0.4, before=3))
    right: list[Flowable] = _centre([("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, "b"), (MOTTO, 13, "b")])
    right.append(rule(_text_width(MOTTO, 13), before=3))
    table = Table(
        [
            [left, right],
            [_centre([(c.doc_number(data), 13, "")]), _centre([(c.place_and_date(data), 13, "i")])],
        ],
        colWidths=[left_w, right_w],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                _CELL_FONT,
                ("TOPPADDING", (0, 1), (-1, 1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _grid(table: c.Table, widths: list[float]) -> list[object]:
    cell = _style(11, TA_CENTER, after=0)
    left = _style(11, TA_LEFT, after=0)
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
                _CELL_FONT,
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]
        )
    )
    caption = _p(table.title, 13, align=TA_LEFT, after=3, markup="bi")
    if len(rows) <= KEEP_WHOLE_ROWS:
        return [KeepTogether([caption, grid]), Spacer(1, 6)]
    # A long table starts on its caption's page with its header and first rows, else on the next page.
    return [CondPageBreak(5 * cm), caption, grid, Spacer(1, 6)]


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
        initialFontName=f"{FAMILY}-regular",  # else a page opens with an unused, unembedded Helvetica
        initialFontSize=13,
        title=c.nfc(" ".join(c.title_lines(data))),
        author=c.nfc(data.unit.name),
        lang="vi-VN",
    )
    width = A4[0] - 4.5 * cm
    indent = 1 * cm
    story: list[object] = [_header(data, width), Spacer(1, 12)]
    heading, subject = c.title_lines(data)
    story += _centre([(heading, 14, "b"), (subject, 14, "b")])
    story.append(rule(width / 3, before=5, after=6))
    if c.addressee(data):
        story.append(_p(c.addressee(data), 14, align=TA_CENTER, after=8))
    story.append(
        _p(
            c.intro_text(data),
            indent=indent,
        )
    )

    def heading_p(text: str) -> Paragraph:
        p = _p(text, 14, align=TA_LEFT, after=6, markup="b")
        p.keepWithNext = True  # a heading never ends a page
        return p

    story.append(heading_p("I. KẾT QUẢ ĐO LƯỜNG"))
    story.append(heading_p("1. Kết quả chung"))
    story += [_p("- " + line, indent=indent) for line in c.headline_lines(data)]
    story.append(heading_p("2. Kết quả theo nhóm tiêu chí"))
    for table in c.group_tables(data):
        story += _grid(table, [width * f for f in (0.35, 0.12, 0.14, 0.21, 0.18)])
    heading3, note, people, fractions = c.people_section(data)
    story.append(heading_p(heading3))
    note_p = _p(note, indent=indent)
    note_p.keepWithNext = True
    story.append(note_p)
    story += _grid(people, [width * f for f in fractions])
    story.append(heading_p("4. Diễn biến qua các tháng"))
    png = trend_png(data)
    if png:
        story.append(Image(io.BytesIO(png), width=width, height=width * 2.6 / 6.3))
    story += _grid(c.trend_table(data), [width * 0.2] * 5)
    story.append(heading_p("5. Việc thực hiện “5 không”"))
    story += [_p("- " + line, indent=indent) for line in c.violation_lines(data)]
    story += _grid(c.violation_table(data), [width * 0.7, width * 0.3])
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
    left = [_p("Nơi nhận:", 12, align=TA_LEFT, after=0, markup="bi")]
    left += [_p(line, 11, align=TA_LEFT, after=0) for line in c.recipients(data)]
    signed = [(text, 14, "b") for text in c.signature_lines(data)]
    name = c.signer_name(data)
    signed += [("\u00a0", 14, "")] * 4
    if name:
        signed.append((name, 14, "b"))
    right = _centre(signed)
    footer = Table([[left, right]], colWidths=[width * 0.5, width * 0.5])
    footer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), _CELL_FONT]))
    story.append(KeepTogether([footer]))
    doc.build(story, onLaterPages=page_number)
    return out.getvalue()
