"""Desk slips: an A4 PDF of 8 phone-ballot QR codes to hand out or staple to the dossier receipt.

    pdf = render_slips([Slip(url, "Nguyễn Văn An", "HS-0042", expires)], unit_name="UBND xã Hòa Bình")

The QR is drawn as vector squares (sharp at any printer resolution).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from threading import Lock

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph

from surveys.ballot_token import qr_modules
from sync_server.reports.fonts import font_path

__all__ = ["PER_PAGE", "Slip", "render_slips"]

PER_PAGE = 8  # 2 columns × 4 rows on A4
_COLS, _ROWS = 2, 4
_QR = 128.0  # points (45 mm): a phone camera reads it from arm's length
_FONT = "SlipSans"
_fonts = Lock()


@dataclass(frozen=True)
class Slip:
    url: str
    officer: str | None
    dossier: str | None
    expires: dt.date


def _register() -> None:
    with _fonts:
        if _FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(_FONT, str(font_path("sans", "regular"))))
            pdfmetrics.registerFont(TTFont(_FONT + "-Bold", str(font_path("sans", "bold"))))
            bold = _FONT + "-Bold"
            pdfmetrics.registerFontFamily(_FONT, normal=_FONT, bold=bold, italic=_FONT, boldItalic=bold)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    modules = qr_modules(url)
    cell = size / len(modules)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def _slip(canvas: Canvas, slip: Slip, unit_name: str, hotline: str | None, x: float, y: float) -> None:
    width, height = A4[0] / _COLS, A4[1] / _ROWS
    _draw_qr(canvas, slip.url, x + 8, y + (height - _QR) / 2, _QR)
    small = ParagraphStyle("s", fontName=_FONT, fontSize=8.5, leading=10.5, spaceAfter=3)
    bold = ParagraphStyle("b", parent=small, fontName=_FONT + "-Bold", fontSize=10, leading=12.5)
    lines = [
        Paragraph(_esc(unit_name), small),
        Paragraph("Đánh giá kín trên điện thoại của Ông/Bà", bold),
        Paragraph(
            "Quét mã bằng máy ảnh điện thoại để đánh giá sự phục vụ. Phiếu không ghi tên Ông/Bà.", small
        ),
    ]
    if slip.officer:
        lines.append(Paragraph("Cán bộ: <b>" + _esc(slip.officer) + "</b>", small))
    if slip.dossier:
        lines.append(Paragraph("Hồ sơ: <b>" + _esc(slip.dossier) + "</b>", small))
    lines.append(Paragraph(f"Dùng một lần, đến hết ngày {slip.expires:%d/%m/%Y}.", small))
    if hotline:
        lines.append(Paragraph("Đường dây nóng: " + _esc(hotline), small))
    left = 8 + _QR + 6
    Frame(x + left, y + 6, width - left - 6, height - 12, 0, 0, 0, 0, showBoundary=0).addFromList(
        lines, canvas
    )


def render_slips(slips: Sequence[Slip], unit_name: str, hotline: str | None = None) -> bytes:
    """The PDF: slips in reading order, 8 to a page, with dashed cutting lines."""
    _register()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle("Phiếu đánh giá trên điện thoại")
    width, height = A4[0] / _COLS, A4[1] / _ROWS
    for start in range(0, len(slips), PER_PAGE):
        canvas.setDash(3, 3)
        canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
        canvas.line(width, 0, width, A4[1])
        for row in range(1, _ROWS):
            canvas.line(0, row * height, A4[0], row * height)
        canvas.setDash()
        for n, slip in enumerate(slips[start : start + PER_PAGE]):
            col, row = n % _COLS, n // _COLS
            _slip(canvas, slip, unit_name, hotline, col * width, A4[1] - (row + 1) * height)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
