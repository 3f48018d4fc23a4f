"""Exports as the dashboard offers them: ballots (leaders and admins only) and figures, CSV and XLSX."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from report_sample import LABELS, SURVEY, indices_fn, make_ballots

from sync_server.reports.content import nfc
from sync_server.reports.exports import ExportForbidden, ballots_csv, ballots_xlsx, figures_csv, figures_xlsx

BALLOTS = [
    {
        "id": "0190f0c2-0000-7000-8000-000000000001",
        "submitted_at": datetime(2024, 9, 3, 1, 15, 2, tzinfo=UTC),
        "received_at": datetime(2024, 9, 3, 19, 0, tzinfo=UTC),
        "staff_id": "cb01",
        "survey_version": "2026.1",
        "answers": {"tong_the": 5, "xin_chao": 4, "nam_khong": []},
        "comment": "Cán bộ rất nhiệt tình, Ông/Bà được hướng dẫn chu đáo.",
        "contact_phone": "0912345678",
        "misuse": False,
        "clock_suspect": False,
    },
    {
        "id": "0190f0c2-0000-7000-8000-000000000002",
        "submitted_at": datetime(2024, 9, 4, 2, 0, tzinfo=UTC),
        "received_at": datetime(2024, 9, 4, 19, 0, tzinfo=UTC),
        "staff_id": None,
        "survey_version": "2026.1",
        "answers": {"tong_the": 1, "nam_khong": ["cua_quyen_hach_dich", "quan_lieu_vo_cam"]},
        "comment": '=HYPERLINK("http://x")',
        "contact_phone": None,
        "misuse": True,
        "clock_suspect": False,
    },
]
NAMES = {"cb01": "Nguyễn Thị Hằng"}


def _csv(blob: bytes) -> list[dict[str, str]]:
    assert blob.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(blob.decode("utf-8-sig"))))


def test_ballots_csv_has_one_line_per_ballot_without_phones() -> None:
    rows = _csv(ballots_csv(BALLOTS, SURVEY, role="leader", staff_names=NAMES))
    assert len(rows) == 2 and "phone" not in rows[0]
    first, second = rows
    assert first["submitted_at"] == "2024-09-03T08:15:02+07:00"
    assert first["staff_name"] == "Nguyễn Thị Hằng" and second["staff_name"] == "không rõ"
    assert (first["tong_the"], first["xin_chao"], first["nam_khong"], first["xin_loi"]) == (
        "5",
        "4",
        "(không)",
        "",
    )
    assert second["nam_khong"] == "cua_quyen_hach_dich;quan_lieu_vo_cam"
    assert first["comment"] == "Cán bộ rất nhiệt tình, Ông/Bà được hướng dẫn chu đáo."
    assert second["comment"].startswith("'="), "a formula in a comment must not run in Excel"
    assert second["flags"] == "misuse"
    assert b"0912345678" not in ballots_csv(BALLOTS, SURVEY, role="admin")


def test_phones_only_when_a_leader_or_admin_asks() -> None:
    for role in ("leader", "admin"):
        rows = _csv(ballots_csv(BALLOTS, SURVEY, role=role, include_phones=True))
        assert [r["phone"] for r in rows] == ["0912345678", ""]
    sheet = load_workbook(io.BytesIO(ballots_xlsx(BALLOTS, SURVEY, role="admin", include_phones=True))).active
    assert "0912345678" in [c.value for c in sheet[2]]


@pytest.mark.parametrize("role", ["viewer", "officer", ""])
def test_officers_never_get_single_ballots(role: str) -> None:
    with pytest.raises(ExportForbidden):
        ballots_csv(BALLOTS, SURVEY, role=role)
    with pytest.raises(ExportForbidden):
        ballots_xlsx(BALLOTS, SURVEY, role=role, include_phones=True)


def test_ballots_xlsx_has_vietnamese_headers_and_numeric_ratings() -> None:
    ws = load_workbook(io.BytesIO(ballots_xlsx(BALLOTS, SURVEY, role="leader", staff_names=NAMES))).active
    header = [c.value for c in ws[1]]
    assert header[:5] == ["Mã phiếu", "Thời điểm đánh giá", "Thời điểm nhận", "Mã công chức", "Công chức"]
    assert "Hài lòng chung" in header and "Số điện thoại (đã đồng ý)" not in header
    values = [c.value for c in ws[2]]
    assert values[header.index("Hài lòng chung")] == 5
    assert values[header.index("Công chức")] == "Nguyễn Thị Hằng"
    assert ws.max_row == 3


def test_figures_csv_carries_the_api_rows_unchanged() -> None:
    from datetime import date

    response = indices_fn(make_ballots())(date(2024, 1, 1), date(2024, 6, 30), "period", "quarter")
    rows = _csv(figures_csv(response))
    assert [r["key"] for r in rows] == ["2024-Q1", "2024-Q2"]
    for line, row in zip(rows, response["rows"], strict=True):
        assert int(line["n"]) == row["n"]
        assert float(line["satisfaction_index"]) == row["satisfaction_index"]
        assert [float(line["ci95_lo"]), float(line["ci95_hi"])] == row["satisfaction_ci95"]
        assert float(line["group:4_xin"]) == row["groups"]["4_xin"]
        assert float(line["item:nam_khong:index"]) == row["items"]["nam_khong"]["index"]
        assert (
            line["insufficient"] == "false" and line["unit"] == "XA-THU" and line["method"] == "ctt-sipas-1"
        )
        rates = row["items"]["nam_khong"]["violation_rates"]
        assert float(line["violation:nam_khong:cua_quyen_hach_dich"]) == rates["cua_quyen_hach_dich"]


def test_figures_xlsx_by_staff_names_officers_and_keeps_numbers() -> None:
    from datetime import date

    response = indices_fn(make_ballots())(date(2024, 7, 1), date(2024, 9, 30), "staff", "month")
    names = {"cb01": "Nguyễn Thị Hằng", "cb02": "Trần Văn Đức", "cb03": "Lê Thị Ngọc Ánh"}
    wb = load_workbook(io.BytesIO(figures_xlsx(response, labels=LABELS, staff_names=names, title="Quý III")))
    ws = wb["Chỉ số"]
    table = {r[0]: r for r in ws.iter_rows(min_row=5, values_only=True) if r[0]}
    by_key = {r["key"]: r for r in response["rows"]}
    assert table["Trần Văn Đức"][1] == by_key["cb02"]["n"]
    assert table["Trần Văn Đức"][2] == by_key["cb02"]["satisfaction_index"]
    assert table["Lê Thị Ngọc Ánh"][8] == "chưa đủ mẫu"
    assert table["Không rõ công chức"][1] == by_key[None]["n"]
    assert len(ws._charts) == 1
    assert any(r[1] == "Xin chào" for r in wb["Tiêu chí"].iter_rows(min_row=2, values_only=True))


def test_empty_exports_are_valid_files() -> None:
    assert _csv(ballots_csv([], SURVEY, role="admin")) == []
    assert _csv(figures_csv({"unit": "X", "from": "2024-01-01", "to": "2024-01-31", "rows": []})) == []
    load_workbook(io.BytesIO(figures_xlsx({"rows": []})))
    load_workbook(io.BytesIO(ballots_xlsx([], None, role="leader")))


def test_a_whole_unit_row_is_all_ballots_even_with_officer_names_given() -> None:
    from datetime import date

    response = indices_fn(make_ballots())(date(2024, 7, 1), date(2024, 9, 30), "none", "month")
    ws = load_workbook(io.BytesIO(figures_xlsx(response, staff_names={"cb01": "Nguyễn Thị Hằng"}))).active
    labels = [r[0] for r in ws.iter_rows(min_row=5, values_only=True) if r[0]]
    assert labels[0] == "Tất cả"


@settings(max_examples=60, deadline=None)
@given(comment=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200))
def test_any_comment_survives_the_csv_round_trip(comment: str) -> None:
    ballot = dict(BALLOTS[0], comment=comment)
    (row,) = _csv(ballots_csv([ballot], SURVEY, role="admin"))
    expected = nfc(comment)  # composed, control characters dropped
    assert not ILLEGAL_CHARACTERS_RE.search(expected) and unicodedata.is_normalized("NFC", expected)
    if expected[:1] in ("=", "+", "-", "@", "\t", "\r"):
        expected = "'" + expected
    # The csv module reads a lone "\r" as a line end: newlines must come back as the writer wrote them.
    assert row["comment"].replace("\r\n", "\n") == expected.replace("\r\n", "\n")
    sheet = load_workbook(io.BytesIO(ballots_xlsx([ballot], SURVEY, role="admin"))).active
    header = [c.value for c in sheet[1]]
    assert (sheet.cell(row=2, column=header.index("Góp ý") + 1).value or "") == expected


def test_no_spreadsheet_the_product_writes_holds_a_formula() -> None:
    """A comment or a name that starts with "=" is text in every XLSX (reports.md), never a formula."""
    named = {"cb01": '=HYPERLINK("http://lua-dao.example","Bấm")'}
    staff_rows = indices_fn(make_ballots())(
        datetime(2024, 9, 1).date(), datetime(2024, 9, 30).date(), "staff", "month"
    )
    books = [
        ballots_xlsx(BALLOTS, SURVEY, role="leader", staff_names=named),
        figures_xlsx(staff_rows, labels=LABELS, staff_names=named),
    ]
    for blob in books:
        wb = load_workbook(io.BytesIO(blob))
        cells = [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
        assert any(str(cell.value or "").lstrip("'").startswith("=HYPERLINK") for cell in cells)
