"""The index engine with the real default survey "Chính quyền thân thiện" (surveys/loader.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from surveys.loader import Survey, default_survey_path, load_survey, parse_survey
from sync_server import indices as ix


@pytest.fixture(scope="module")
def survey() -> Survey:
    return load_survey(default_survey_path())


def ballot(
    answers: dict[str, Any], at: str = "2024-09-10T09:00:00+07:00", staff: str | None = "cb01"
) -> ix.Ballot:
    return ix.Ballot(at, None, False, staff, answers)


BALLOTS = [
    ballot(
        {
            "tong_the": 5,
            "xin_loi": 5,
            "luon_mim_cuoi": 4,
            "nam_khong": [],
            "ket_qua_dung_hen": 5,
            "xin_phep": None,
        }
    ),
    ballot(
        {
            "tong_the": 4,
            "xin_loi": 2,
            "xin_chao": 5,
            "nam_khong": ["tham_nhung_lang_phi"],
            "ket_qua_dung_hen": 3,
            "pakn_de_dang": 4,
        }
    ),
    ballot({"tong_the": 3, "xin_cam_on": 4, "biet_lam_dan_tin": 1, "ton_trong": 5, "tiep_can_huong_dan": 2}),
]


def test_hand_worked_figures_with_the_default_survey(survey: Survey) -> None:
    (row,) = ix.compute_rows(ix.tally_ballots(BALLOTS, survey), survey)
    assert row["n"] == 3
    assert row["satisfaction_index"] == 66.7  # 5, 4, 3
    assert row["mean_score"] == 4.0
    assert row["satisfaction_ci95"] == [20.8, 93.9]
    # "xin lỗi" and "xin cảm ơn" sit in both 4 xin and 5 biết.
    assert row["groups"] == {
        "4_xin": 83.3,  # xin_chao 100, xin_loi 50, xin_cam_on 100
        "4_luon": 100.0,
        "5_biet": 50.0,  # xin_loi 50, xin_cam_on 100, biet_lam_dan_tin 0
        "3_the_hien": 100.0,
        "5_khong": 50.0,  # one empty list of two
        "tiep_can": 0.0,
        "thu_tuc": None,
        "cong_chuc": None,
        "ket_qua": 50.0,
        "pakn": 100.0,
    }
    assert row["friendly_index"] == 76.7  # (83.33 + 100 + 50 + 100 + 50) / 5
    assert row["service_index"] == 50.0  # (0 + 50 + 100) / 3; groups with no data left out
    assert row["items"]["nam_khong"] == {
        "n": 2,
        "index": 50.0,
        "violation_rates": {
            "cua_quyen_hach_dich": 0.0,
            "quan_lieu_vo_cam": 0.0,
            "tham_nhung_lang_phi": 50.0,
            "xu_ninh_chay_chot": 0.0,
            "loi_dung_chuc_vu": 0.0,
        },
    }
    assert row["items"]["xin_phep"] == {"n": 0, "index": None}
    assert list(row["items"]) == [q.id for q in survey.questions if q.type in ("rating5", "checklist")]


def test_the_config_copy_of_the_survey_gives_the_same_figures(survey: Survey) -> None:
    # The server may hold the definition as the JSON a device receives; figures must not depend on it.
    from_config = parse_survey(survey.to_json(), source="config")
    tallies = ix.tally_ballots(BALLOTS, survey)
    assert ix.compute_rows(tallies, from_config, by="staff") == ix.compute_rows(tallies, survey, by="staff")


def test_a_unit_year_by_quarter_with_the_default_survey(survey: Survey) -> None:
    stamps = ["2024-01-05", "2024-03-31", "2024-04-01", "2024-09-30", "2024-12-31"]
    ballots = [ballot({"tong_the": 5, "xin_cam_on": 5}, at=f"{d}T23:30:00+07:00") for d in stamps]
    rows = ix.compute_rows(ix.tally_ballots(ballots, survey), survey, by="period", period="quarter")
    assert [(r["key"], r["n"]) for r in rows] == [
        ("2024-Q1", 2),
        ("2024-Q2", 1),
        ("2024-Q3", 1),
        ("2024-Q4", 1),
    ]
    assert all(r["groups"]["4_xin"] == r["groups"]["5_biet"] == 100.0 for r in rows)
    body = ix.indices_response("XA-TAN-AN", date(2024, 1, 1), date(2024, 12, 31), rows)
    assert body["method"] == "ctt-sipas-1" and body["from"] == "2024-01-01" and body["to"] == "2024-12-31"
