"""The three report files, opened by their own libraries: figures equal the indices API's, text intact."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from report_sample import LABELS, STAFF, UNIT, indices_fn, make_ballots

from sync_server.reports import Comment, ReportData, assemble_report, parse_period, render
from sync_server.reports.content import fmt_pct

BALLOTS = make_ballots()
INDICES = indices_fn(BALLOTS)


def _data(key: str) -> ReportData:
    return assemble_report(
        UNIT,
        parse_period(key),
        INDICES,
        LABELS,
        min_sample=30,
        staff=STAFF,
        comments=[Comment(date(2024, 9, 3), "Nguyễn Thị Hằng", "Cán bộ hướng dẫn tận tình, chu đáo.")],
        comment_count=12,
        contact_count=3,
        issued_on=date(2024, 10, 5),
    )


def _api(key: str, by: str = "none") -> Mapping[str, Any]:
    period = parse_period(key)
    return INDICES(period.start, period.end, by, "month")


def _docx_text(blob: bytes) -> str:
    doc = Document(io.BytesIO(blob))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.append(cell.text)
    return "\n".join(parts)


def _pdf_text(blob: bytes) -> str:
    reader = PdfReader(io.BytesIO(blob))
    text = unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))
    return " ".join(text.split())  # lines wrap wherever the page is full


@pytest.fixture(scope="module")
def quarterly() -> dict[str, bytes]:
    data = _data("2024-Q3")
    return {fmt: render(data, fmt) for fmt in ("docx", "pdf", "xlsx")}


def test_docx_has_the_administrative_layout(quarterly: dict[str, bytes]) -> None:
    doc = Document(io.BytesIO(quarterly["docx"]))
    header = doc.tables[0]
    left, right = (" ".join(header.cell(0, i).text.split()) for i in (0, 1))
    assert "UBND TỈNH ĐỒNG NAI" in left and "ỦY BAN NHÂN DÂN XÃ TÂN PHÚ" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right
    motto = next(r for p in header.cell(0, 1).paragraphs for r in p.runs if "Độc lập" in r.text)
    assert motto.text == "Độc lập - Tự do - Hạnh phúc" and motto.font.underline and motto.font.bold
    assert header.cell(1, 0).text.startswith("Số:") and "/BC-UBND" in header.cell(1, 0).text
    dated = header.cell(1, 1).paragraphs[0].runs[0]
    assert dated.text == "Tân Phú, ngày 05 tháng 10 năm 2024" and dated.font.italic
    text = _docx_text(quarterly["docx"])
    assert "BÁO CÁO" in text and "Kết quả đo lường sự hài lòng" in text and "quý III năm 2024" in text
    assert "Biết xin lỗi" in text and "Biết cảm ơn" in text, "the plan's words in the 5 biết table"
    footer = doc.tables[-1]
    assert footer.cell(0, 0).paragraphs[0].text == "Nơi nhận:"
    assert "- Lưu: VT." in footer.cell(0, 0).text
    assert "KT. CHỦ TỊCH" in footer.cell(0, 1).text and "PHÓ CHỦ TỊCH" in footer.cell(0, 1).text
    fonts = {r.font.name for p in doc.paragraphs for r in p.runs if r.text.strip()}
    words = [r for p in doc.paragraphs for r in p.runs if any(ch.isalpha() for ch in r.text)]
    sizes = {r.font.size.pt for r in words if r.font.size}
    assert fonts == {"Times New Roman"} and sizes <= {13.0, 14.0}


def test_monthly_docx_goes_to_the_chairman() -> None:
    doc = Document(io.BytesIO(render(_data("2024-09"), "docx")))
    assert "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ" in " ".join(doc.tables[0].cell(0, 0).text.split())
    assert "/BC-BPTNTKQ" in doc.tables[0].cell(1, 0).text
    text = _docx_text(render(_data("2024-09"), "docx"))
    assert "Kính gửi: Chủ tịch Ủy ban nhân dân xã Tân Phú" in text
    assert "tháng 9 năm 2024" in text


def test_docx_figures_equal_the_api(quarterly: dict[str, bytes]) -> None:
    row = _api("2024-Q3")["rows"][0]
    text = _docx_text(quarterly["docx"])
    assert f"Tổng số phiếu đánh giá hợp lệ: {row['n']:,} phiếu".replace(",", ".") in text
    assert f"Chỉ số hài lòng chung: {fmt_pct(row['satisfaction_index'])}%" in text
    assert f"Chỉ số thân thiện: {fmt_pct(row['friendly_index'])}%" in text
    doc = Document(io.BytesIO(quarterly["docx"]))
    staff_rows = {r["key"]: r for r in _api("2024-Q3", "staff")["rows"]}
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "STT")
    seen = {}
    for tr in table.rows[1:]:
        cells = [c.text for c in tr.cells]
        seen[cells[1]] = cells
    for sid, info in STAFF.items():
        cells = seen[info.name]
        assert cells[3] == str(staff_rows[sid]["n"])
        assert cells[4] == fmt_pct(staff_rows[sid]["satisfaction_index"])
    # cb03 serves a handful of citizens: never ranked.
    assert staff_rows["cb03"]["insufficient"] and seen["Lê Thị Ngọc Ánh"][-1] == "chưa đủ mẫu"
    assert {seen["Nguyễn Thị Hằng"][-1], seen["Trần Văn Đức"][-1]} == {"1", "2"}


def test_pdf_has_the_same_content_with_vietnamese_glyphs(quarterly: dict[str, bytes]) -> None:
    text = _pdf_text(quarterly["pdf"])
    for phrase in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Tân Phú, ngày 05 tháng 10 năm 2024",
        "BÁO CÁO",
        "Nơi nhận:",
        "KT. CHỦ TỊCH",
        "Lê Thị Ngọc Ánh",
        "chưa đủ mẫu",
        "Cửa quyền, hách dịch, gây khó khăn, phiền hà",
        "Cán bộ hướng dẫn tận tình, chu đáo.",
    ):
        assert phrase in text, phrase
    row = _api("2024-Q3")["rows"][0]
    assert f"Chỉ số hài lòng chung: {fmt_pct(row['satisfaction_index'])}%" in text
    fonts: set[str] = set()

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip() and font:
            fonts.add(str(font["/BaseFont"]))

    for page in PdfReader(io.BytesIO(quarterly["pdf"])).pages:
        page.extract_text(visitor_text=visit)
    assert fonts and all("LiberationSerif" in f for f in fonts), fonts


def test_xlsx_figures_are_numbers_equal_to_the_api(quarterly: dict[str, bytes]) -> None:
    wb = load_workbook(io.BytesIO(quarterly["xlsx"]))
    assert wb.sheetnames == ["Tổng hợp", "Nhóm tiêu chí", "Công chức", "Diễn biến", "5 không", "Góp ý"]
    row = _api("2024-Q3")["rows"][0]
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Số phiếu"] == row["n"]
    assert summary["Chỉ số hài lòng chung (%)"] == row["satisfaction_index"]
    assert summary["Chỉ số thân thiện (%)"] == row["friendly_index"]
    assert summary["Chỉ số phục vụ — SIPAS (%)"] == row["service_index"]
    assert summary["Điểm trung bình (1–5)"] == row["mean_score"]
    trend = _api("2024-Q3") and INDICES(date(2023, 10, 1), date(2024, 9, 30), "period", "month")["rows"]
    sheet = list(wb["Diễn biến"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2]) for r in sheet] == [(t["n"], t["satisfaction_index"]) for t in trend]
    assert sheet[0][0] == "T10/2023" and sheet[-1][0] == "T9/2024"
    staff_rows = {r["key"]: r for r in _api("2024-Q3", "staff")["rows"]}
    people = {r[1]: r for r in wb["Công chức"].iter_rows(min_row=2, values_only=True)}
    assert people["Trần Văn Đức"][4] == staff_rows["cb02"]["satisfaction_index"]
    assert people["Lê Thị Ngọc Ánh"][-1] == "chưa đủ mẫu"
    assert len(wb["Diễn biến"]._charts) == 1 and len(wb["Tổng hợp"]._charts) == 1
    assert len(wb["Công chức"]._charts) == 1 and len(wb["5 không"]._charts) == 1


@pytest.mark.parametrize("key", ["2024-09", "2024-H1", "2024"])
def test_every_kind_of_period_renders(key: str) -> None:
    data = _data(key)
    title = parse_period(key).title_vi
    assert title in _docx_text(render(data, "docx"))
    assert title in _pdf_text(render(data, "pdf"))
    assert load_workbook(io.BytesIO(render(data, "xlsx")))["Tổng hợp"]["A1"].value


def test_a_period_without_ballots_still_makes_a_report() -> None:
    data = _data("2022-Q1")
    assert data.overall is None
    assert "không có phiếu đánh giá nào" in _pdf_text(render(data, "pdf"))
    assert "không có phiếu đánh giá nào" in _docx_text(render(data, "docx"))
    load_workbook(io.BytesIO(render(data, "xlsx")))


def test_the_pdf_renders_with_both_header_blocks_inked(quarterly: dict[str, bytes], tmp_path: Path) -> None:
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is not installed (Debian poppler-utils): cannot rasterise the PDF")
    (tmp_path / "r.pdf").write_bytes(quarterly["pdf"])
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", "r.pdf", "page"],
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    page = Image.open(tmp_path / "page.png").convert("L")
    width, height = page.size
    assert width < height, "A4 portrait"

    def ink(box: tuple[float, float, float, float]) -> int:
        x0, y0, x1, y1 = (int(v) for v in (box[0] * width, box[1] * height, box[2] * width, box[3] * height))
        return sum(page.crop((x0, y0, x1, y1)).histogram()[:128])  # pixels darker than mid-grey

    assert ink((0.1, 0.05, 0.5, 0.15)) > 50, "issuer block top-left"
    assert ink((0.5, 0.05, 0.95, 0.15)) > 50, "quốc hiệu and tiêu ngữ top-right"
    assert ink((0.0, 0.0, 1.0, 0.04)) == 0, "nothing printed in the top margin"


def test_odd_comment_text_never_stops_a_report() -> None:
    odd = "Cán bộ\x00 tốt\x1b, dòng 1\r\ndòng 2 <b>&amp;</b> =1+1"
    data = replace(_data("2024-09"), comments=[Comment(date(2024, 9, 3), None, odd)])
    expected = "Cán bộ tốt, dòng 1 dòng 2 <b>&amp;</b> =1+1"
    assert expected in _docx_text(render(data, "docx"))
    assert expected in _pdf_text(render(data, "pdf"))
    sheet = load_workbook(io.BytesIO(render(data, "xlsx")))["Góp ý"]
    assert any("Cán bộ tốt" in str(cell.value) for row in sheet.iter_rows() for cell in row)
