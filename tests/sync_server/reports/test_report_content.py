"""The wording rules of a report, worked by hand: dates, names, ranking, proposals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from report_sample import LABELS, STAFF, UNIT

from sync_server.reports import ReportData, UnitInfo, parse_period
from sync_server.reports import content as c


def _row(key: str | None, n: int, index: float | None, compliance: float = 100.0) -> dict[str, Any]:
    return {
        "key": key,
        "n": n,
        "satisfaction_index": index,
        "satisfaction_ci95": None,
        "mean_score": None,
        "friendly_index": index,
        "service_index": index,
        "groups": {"4_xin": index, "tiep_can": 70.0},
        "items": {
            "tiep_can_noi_lam_thu_tuc": {"n": n, "index": 70.0},
            "tiep_can_huong_dan": {"n": n, "index": 70.0},
            "nam_khong": {
                "n": n,
                "index": compliance,
                "violation_rates": {"quan_lieu_vo_cam": 100 - compliance},
            },
        },
        "insufficient": n < 30,
    }


def _data(**changes: Any) -> ReportData:
    base = ReportData(
        unit=UNIT,
        period=parse_period("2024-09"),
        method="ctt-sipas-1",
        min_sample=30,
        overall=_row(None, 300, 85.0, 98.0),
        previous=_row(None, 280, 88.0),
        staff_rows=[
            _row("cb01", 120, 91.04),
            _row("cb02", 150, 77.5, 95.0),
            _row("cb03", 12, 99.0),
            _row(None, 18, 80.0),
        ],
        trend=[],
        labels=LABELS,
        staff=STAFF,
        issued_on=date(2024, 10, 5),
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2025, 1, 5), "Tân Phú, ngày 05 tháng 01 năm 2025"),
        (date(2025, 2, 28), "Tân Phú, ngày 28 tháng 02 năm 2025"),
        (date(2025, 3, 9), "Tân Phú, ngày 09 tháng 3 năm 2025"),
        (date(2025, 12, 31), "Tân Phú, ngày 31 tháng 12 năm 2025"),
    ],
)
def test_place_and_date_follow_decree_30(day: date, text: str) -> None:
    assert c.place_and_date(_data(issued_on=day)) == text


def test_names_inside_sentences_are_lower_case_administrative_words() -> None:
    assert c.in_sentence("Xã Tân Phú") == "xã Tân Phú"
    assert c.in_sentence("Phường Bến Nghé") == "phường Bến Nghé"
    assert c.in_sentence("UBND thị trấn X") == "UBND thị trấn X"
    assert UnitInfo("P1", "Phường Bến Nghé").place == "Bến Nghé"
    assert c.addressee(_data()) == "Kính gửi: Chủ tịch Ủy ban nhân dân xã Tân Phú"
    assert c.addressee(_data(period=parse_period("2024-Q3"))) == "Kính gửi: Ủy ban nhân dân tỉnh Đồng Nai"


def test_numbers_are_written_the_vietnamese_way() -> None:
    assert (c.fmt_pct(85.0), c.fmt_pct(None), c.fmt_mean(4.1), c.fmt_int(12345)) == (
        "85,0",
        "—",
        "4,10",
        "12.345",
    )
    assert c.fmt_delta(88.04, 85.96) == "+2,0"  # 88,0 − 86,0 as printed, not 2,08
    assert (c.fmt_delta(85.0, 88.0), c.fmt_delta(85.0, None), c.fmt_delta(85.0, 85.0)) == ("−3,0", "—", "0,0")


def test_officers_under_the_minimum_are_never_ranked() -> None:
    table = c.staff_table(_data())
    ranks = {row[1]: row[-1] for row in table.rows}
    assert ranks == {
        "Nguyễn Thị Hằng": "1",
        "Trần Văn Đức": "2",
        "Lê Thị Ngọc Ánh": "chưa đủ mẫu",  # 99 % on 12 ballots ranks nobody
        "Không rõ công chức": "chưa đủ mẫu",
    }
    assert [row[4] for row in table.rows][:2] == ["91,0", "77,5"]


def test_violations_name_the_officer_and_proposals_follow_the_figures() -> None:
    data = _data()
    lines = c.violation_lines(data)
    assert lines[0] == "Tỷ lệ phiếu không gặp hành vi vi phạm nào: 98,0%."
    assert "Trần Văn Đức (5,0% trên 150 phiếu)" in lines[1]
    proposals = " ".join(c.proposals(data))
    assert "Tiếp cận dịch vụ" in proposals  # the weakest group, 70 %
    assert "“5 không”" in proposals
    assert "Trần Văn Đức" in proposals  # ranked officer under 80 %
    assert "Lê Thị Ngọc Ánh" not in proposals  # too few ballots to judge
    assert "giảm so với kỳ trước" in proposals  # 85 after 88


def test_a_parent_unit_ranks_its_communes() -> None:
    children = [
        (UnitInfo("XA-1", "Xã Một"), _row(None, 400, 80.0)),
        (UnitInfo("XA-2", "Xã Hai"), _row(None, 500, 90.0, 97.0)),
        (UnitInfo("XA-3", "Xã Ba"), _row(None, 10, 99.0)),
        (UnitInfo("XA-4", "Xã Bốn"), None),
    ]
    data = _data(children=children, staff_rows=[], period=parse_period("2024"))
    heading, _note, table, _widths = c.people_section(data)
    assert heading == "3. Kết quả theo đơn vị trực thuộc"
    assert [(r[1], r[-1]) for r in table.rows] == [
        ("Xã Hai", "1"),
        ("Xã Một", "2"),
        ("Xã Ba", "chưa đủ mẫu"),
        ("Xã Bốn", "chưa có phiếu"),
    ]
    assert "Đơn vị có phiếu phản ánh hành vi vi phạm: Xã Hai (3,0% trên 500 phiếu)." in c.violation_lines(
        data
    )


def test_a_parent_unit_workbook_has_a_sheet_of_communes() -> None:
    import io

    from openpyxl import load_workbook

    from sync_server.reports import render

    children = [
        (UnitInfo("XA-1", "Xã Một"), _row(None, 400, 80.0)),
        (UnitInfo("XA-2", "Xã Hai"), _row(None, 500, 90.0)),
    ]
    wb = load_workbook(io.BytesIO(render(_data(children=children, staff_rows=[]), "xlsx")))
    assert "Đơn vị" in wb.sheetnames and "Công chức" not in wb.sheetnames
    rows = list(wb["Đơn vị"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[3], r[-1]) for r in rows] == [("Xã Hai", 500, 90.0, 1), ("Xã Một", 400, 80.0, 2)]
    assert len(wb["Đơn vị"]._charts) == 1
