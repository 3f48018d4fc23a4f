"""reports.md, read back from the files a chairman's office receives: DOCX through python-docx, PDF through
pypdf, pdffonts and fontTools, XLSX through openpyxl. A commune's month and a province's year."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from fontTools.ttLib import TTFont
from openpyxl import load_workbook
from pypdf import PdfReader
from report_sample import LABELS, STAFF, UNIT, indices_fn, make_ballots

from sync_server.periods import parse_report_period, report_period_closing
from sync_server.reports import Comment, ReportData, UnitInfo, assemble_report, parse_period, render
from sync_server.reports import content as c
from sync_server.reports.fonts import font_path

BALLOTS = make_ballots()
INDICES = indices_fn(BALLOTS)
PROVINCE = UnitInfo("TINH", "Tỉnh Đồng Nai", None, level="province")
HYPERLINK = '=HYPERLINK("http://lua-dao.example/x","Bấm vào đây")'


def commune_month(**changes: Any) -> ReportData:
    data = assemble_report(
        UNIT,
        parse_period("2024-09"),
        INDICES,
        LABELS,
        min_sample=30,
        staff=STAFF,
        comments=[Comment(date(2024, 9, 3), None, HYPERLINK)],
        comment_count=1,
        issued_on=date(2024, 10, 5),
    )
    return replace(data, data_since=date(2023, 9, 1), **changes)


def province_year(**changes: Any) -> ReportData:
    data = assemble_report(
        PROVINCE,
        parse_period("2024"),
        INDICES,
        LABELS,
        min_sample=30,
        issued_on=date(2024, 12, 3),
        by_staff=False,
    )
    period = parse_period("2024")
    children = []
    for i, name in enumerate(("Xã Tân Phú", "Xã An Bình", "Phường Long Khánh")):
        row = INDICES(period.start, period.end, "none", "month")["rows"][0]
        n = row["n"] if i < 2 else 12  # the third one is under the minimum sample
        children.append((UnitInfo(f"X{i}", name, "Tỉnh Đồng Nai"), {**row, "n": n, "insufficient": n < 30}))
    return replace(data, children=children, data_since=date(2023, 9, 1), **changes)


@cache
def files(kind: str) -> dict[str, bytes]:
    data = commune_month() if kind == "commune" else province_year()
    return {fmt: render(data, fmt) for fmt in ("docx", "pdf", "xlsx")}


def docx_text(blob: bytes) -> str:
    doc = Document(io.BytesIO(blob))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for t in doc.tables for row in t.rows for cell in row.cells]
    return "\n".join(parts)


def pdf_text(blob: bytes) -> str:
    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(blob)).pages
    )


KINDS = ("commune", "province")


@pytest.mark.parametrize("kind", KINDS)
def test_docx_page_type_and_page_numbers(kind: str) -> None:
    doc = Document(io.BytesIO(files(kind)["docx"]))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert Mm(20) <= section.top_margin <= Mm(25) and Mm(20) <= section.bottom_margin <= Mm(25)
    assert Mm(30) <= section.left_margin <= Mm(35) and Mm(15) <= section.right_margin <= Mm(20)
    # Page numbers: a PAGE field centred in the header, size 13–14, none on the first page.
    assert section.different_first_page_header_footer
    header = section.header.paragraphs[0]
    assert "PAGE" in "".join(el.text or "" for el in header._p.iter(qn("w:instrText")))
    assert header.alignment == 1 and 13 <= header.runs[0].font.size.pt <= 14
    assert not "".join(p.text for p in section.first_page_header.paragraphs).strip()
    fonts = {r.font.name for p in doc.paragraphs for r in p.runs if r.text.strip()}
    assert fonts == {"Times New Roman"}
    body = [p for p in doc.paragraphs if p.paragraph_format.first_line_indent]
    assert body and all(1.0 <= p.paragraph_format.first_line_indent.cm <= 1.27 for p in body)
    assert all(p.paragraph_format.space_after.pt >= 6 for p in body)
    assert all(13 <= r.font.size.pt <= 14 for p in body for r in p.runs)


@pytest.mark.parametrize("kind", KINDS)
def test_docx_grids_agree_with_cells_and_captions_keep_with_tables(kind: str) -> None:
    doc = Document(io.BytesIO(files(kind)["docx"]))
    for table in doc.tables:
        grid = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        for row in table.rows:
            assert [cell.width.twips for cell in row.cells] == pytest.approx(grid, abs=2)
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        assert len(set(grid)) > 1 or len(grid) == 1 or grid[0] > 4000, "not equal cramped columns"
    body = doc.element.body
    for table in doc.tables[1:-1]:  # every figure table, not the header and the signature
        caption = table._tbl.getprevious()
        assert caption.tag == qn("w:p") and caption.find(".//" + qn("w:keepNext")) is not None
        first_row = table.rows[0].cells[0].paragraphs[0]
        assert first_row.paragraph_format.keep_with_next
    assert body is not None


@cache
def _cmaps() -> list[set[int]]:
    return [
        set(TTFont(str(font_path("serif", style))).getBestCmap())
        for style in ("regular", "bold", "italic", "bolditalic")
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_in_liberation_serif_with_a_glyph_for_every_character(kind: str) -> None:
    blob = files(kind)["pdf"]
    reader = PdfReader(io.BytesIO(blob))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all("LiberationSerif" in f for f in fonts), fonts
    text = pdf_text(blob)
    missing = {ch for ch in text if not ch.isspace() and any(ord(ch) not in cmap for cmap in _cmaps())}
    assert not missing, missing
    assert "\ufffd" not in text and "□" not in text
    # Page numbers from page 2, at the top.
    assert len(reader.pages) >= 2
    assert (reader.pages[1].extract_text() or "").split()[0] == "2"
    assert (reader.pages[0].extract_text() or "").split()[0] != "1"


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts (poppler-utils) not installed")
def test_pdffonts_lists_only_embedded_liberation_serif(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    path.write_bytes(files("commune")["pdf"])
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = lines.splitlines()[2:]
    assert rows and all("LiberationSerif" in r and " yes yes yes " in r for r in rows), lines


def test_a_fall_is_written_in_words_in_every_format() -> None:
    data = commune_month()
    now, before = data.overall, data.previous
    assert now and before and now["satisfaction_index"] < before["satisfaction_index"]
    drop = c.fmt_pct(round(before["satisfaction_index"], 1) - round(now["satisfaction_index"], 1))
    phrase = f"chỉ số hài lòng chung giảm {drop} điểm phần trăm"
    assert phrase in docx_text(files("commune")["docx"])
    assert phrase in pdf_text(files("commune")["pdf"])
    for text in (docx_text(files("commune")["docx"]), pdf_text(files("commune")["pdf"])):
        assert "điểm %" not in text and "−" not in text
    assert c.fmt_change(85.34, 82.5) == "tăng 2,8 điểm phần trăm"
    assert c.fmt_change(84.1, 85.0) == "giảm 0,9 điểm phần trăm"


def test_small_samples_are_marked_with_intervals_and_drive_no_proposal() -> None:
    data = commune_month()
    tables = c.group_tables(data)
    rows = [r for t in tables for r in t.rows]
    small = [r for r in rows if r[1] != "—" and 0 < int(r[1].replace(".", "")) < 30]
    assert small, "a month of this commune has items answered by fewer than 30 citizens"
    assert all(r[4] == "chưa đủ mẫu" and "–" in r[3] for r in small)
    groups = [r for r in rows if r[0] == "Chỉ số nhóm"]
    assert groups and all(r[4] == "chưa đủ mẫu" for r in groups)
    text = docx_text(files("commune")["docx"])
    assert "chưa đủ mẫu" in text and "Khoảng tin cậy 95%" in text
    proposals = " ".join(c.proposals(data))
    assert "Tập trung cải thiện nhóm" not in proposals  # every group is under the minimum this month
    assert "“5 không”; xử lý" not in proposals


def test_province_wording_recipients_and_ranked_sub_units() -> None:
    text = docx_text(files("province")["docx"])
    pdf = pdf_text(files("province")["pdf"])
    for body in (text, pdf):
        assert "tại Bộ phận Tiếp nhận và Trả kết quả" not in body
        assert "Bộ phận TN&TKQ" not in body and "Cơ quan cấp trên" not in body
        assert "sự phục vụ của UBND tỉnh" not in body
        assert "trên địa bàn tỉnh Đồng Nai" in body
        assert "- Bộ Nội vụ (để b/c);" in body
    table = c.unit_table(province_year())
    assert table.header[:5] == ["STT", "Đơn vị", "Số phiếu", "Hài lòng (%)", "Khoảng tin cậy 95%"]
    assert [r[-1] for r in table.rows] == ["1", "2", "chưa đủ mẫu"]
    assert all("–" in r[4] for r in table.rows)


def test_an_unfinished_period_and_a_partial_previous_one_say_so() -> None:
    running = province_year()  # issued on 3 December, the year runs to the 31st
    assert "số liệu đến ngày 03/12/2024" in c.intro_text(running)
    assert "số liệu đến ngày 03/12/2024" in pdf_text(files("province")["pdf"])
    # The product started in September 2023: 2023 holds four months, so 2024 is not compared with it.
    lines = " ".join(c.headline_lines(running))
    assert "Không so sánh với năm 2023" in lines and "tăng" not in lines and "giảm" not in lines
    closed = commune_month()
    assert "số liệu đến ngày" not in c.intro_text(closed)


def test_cut_off_periods_follow_decree_09() -> None:
    month = parse_report_period("2026-03", "cutoff")
    assert (month.start, month.end) == (date(2026, 2, 15), date(2026, 3, 14))
    year = parse_report_period("2026", "cutoff")
    assert (year.start, year.end) == (date(2025, 12, 15), date(2026, 12, 14))
    assert parse_report_period("2026-Q1", "cutoff").previous().start == date(2025, 9, 15)
    assert report_period_closing("month", "cutoff", date(2026, 3, 15)).key == "2026-03"
    assert report_period_closing("month", "cutoff", date(2026, 3, 14)).key == "2026-02"
    assert report_period_closing("quarter", "calendar", date(2026, 4, 1)).key == "2026-Q1"
    data = replace(commune_month(), period=parse_report_period("2024-09", "cutoff"))
    assert "từ ngày 15/08/2024 đến ngày 14/09/2024" in c.intro_text(data)
    assert "09/2019/NĐ-CP" in c.intro_text(data)


def test_a_formula_comment_is_text_in_the_report_workbook() -> None:
    wb = load_workbook(io.BytesIO(files("commune")["xlsx"]))
    cells = [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert any(cell.value == HYPERLINK and cell.data_type == "s" for cell in cells)


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("libreoffice") is None, reason="LibreOffice (libreoffice-writer-nogui) not installed"
)
def test_libreoffice_lays_the_docx_tables_out_at_their_widths(tmp_path: Path) -> None:
    """The one LibreOffice conversion of the suite: item rows stay on one line (no equal cramped columns)."""
    source = tmp_path / "thang.docx"
    source.write_bytes(files("commune")["docx"])
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    layout = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "thang.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    rows = c.group_tables(commune_month())[0].rows
    for label, n, index, interval, note in rows[:-1]:
        line = next((ln for ln in layout.splitlines() if ln.strip().startswith(label)), "")
        assert line.split() == [*label.split(), n, index, interval, *note.split()], line
    pages = layout.split("\f")
    assert pages[1].strip().split()[0] == "2", "page numbers from page 2"


def test_the_workbook_leaves_out_a_change_on_a_partial_previous_period() -> None:
    wb = load_workbook(io.BytesIO(files("province")["xlsx"]))
    rows = [r for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and r[0]]
    index = next(r for r in rows if r[0] == "Chỉ số hài lòng chung (%)")
    assert index[3] is None, "2023 holds four months: no change is computed against it"
    assert any(str(r[0]).startswith("Không so sánh với năm 2023") for r in rows)
    assert any("số liệu đến ngày 03/12/2024" in str(r[0]) for r in rows)
    month = load_workbook(io.BytesIO(files("commune")["xlsx"]))
    changes = [
        r for r in month["Tổng hợp"].iter_rows(values_only=True) if r and r[0] == "Chỉ số hài lòng chung (%)"
    ]
    _label, now, before, change = changes[0]
    assert change == round(now - before, 1) < 0, "a whole, sufficient previous month is compared, sign kept"
