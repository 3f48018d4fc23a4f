"""The bundled survey "Chính quyền thân thiện" is complete, bilingual and round-trips."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from surveys.loader import Survey, default_survey_path, load_survey, load_surveys, parse_survey

SURVEYS_DIR = Path(__file__).resolve().parents[2] / "surveys"

GROUPS = {
    "4_xin": ["xin_chao", "xin_loi", "xin_cam_on", "xin_phep"],
    "4_luon": ["luon_mim_cuoi", "luon_nhe_nhang", "luon_lang_nghe", "luon_giup_do"],
    "5_biet": ["xin_loi", "xin_cam_on", "biet_nghe_dan_noi", "biet_noi_dan_hieu", "biet_lam_dan_tin"],
    "3_the_hien": ["ton_trong", "van_minh", "gan_gui"],
    "5_khong": ["nam_khong"],
    "tiep_can": ["tiep_can_noi_lam_thu_tuc", "tiep_can_huong_dan"],
    "thu_tuc": ["thu_tuc_cong_khai", "thu_tuc_phi_dung_quy_dinh"],
    "cong_chuc": ["cong_chuc_thai_do", "cong_chuc_nang_luc"],
    "ket_qua": ["ket_qua_dung_hen", "ket_qua_dung_quy_dinh"],
    "pakn": ["pakn_de_dang"],
}
FRIENDLY = {"4_xin", "4_luon", "5_biet", "3_the_hien", "5_khong"}
NAM_KHONG = {
    "cua_quyen_hach_dich": "Cửa quyền, hách dịch",
    "quan_lieu_vo_cam": "Quan liêu, vô cảm, vô trách nhiệm",
    "tham_nhung_lang_phi": "Tham nhũng, lãng phí",
    "xu_ninh_chay_chot": "Xu nịnh, chạy chọt, gian dối",
    "loi_dung_chuc_vu": "Lợi dụng chức vụ, quyền hạn",
}
# The plan's words each code stands for, as a citizen reads them (diacritics intact).
CODE_WORDS = {
    "xin_chao": "xin chào",
    "xin_loi": "xin lỗi",
    "xin_cam_on": "xin cảm ơn",
    "xin_phep": "xin phép",
    "luon_mim_cuoi": "mỉm cười",
    "luon_nhe_nhang": "nhẹ nhàng",
    "luon_lang_nghe": "lắng nghe",
    "luon_giup_do": "giúp đỡ",
    "ton_trong": "tôn trọng",
    "gan_gui": "gần gũi",
    "tiep_can_noi_lam_thu_tuc": "nơi làm thủ tục",
    "tiep_can_huong_dan": "hướng dẫn",
    "thu_tuc_cong_khai": "công khai",
    "thu_tuc_phi_dung_quy_dinh": "phí",
    "cong_chuc_thai_do": "thái độ",
    "ket_qua_dung_hen": "đúng ngày hẹn",
    "ket_qua_dung_quy_dinh": "đúng quy định",
    "pakn_de_dang": "phản ánh, kiến nghị",
}


def all_texts(survey: Survey) -> list[tuple[str, str]]:
    """Every (vi, en) pair of the survey."""
    pairs = [(survey.title.vi, survey.title.en)]
    pairs += [(g.title.vi, g.title.en) for g in survey.groups]
    for q in survey.questions:
        pairs.append((q.text.vi, q.text.en))
        pairs += [(o.text.vi, o.text.en) for o in q.options]
    pairs += [(label.vi, label.en) for label in survey.scale]
    return pairs


def test_default_survey_loads_with_its_identity() -> None:
    survey = load_survey(default_survey_path())
    assert default_survey_path().parent == SURVEYS_DIR
    assert (survey.id, survey.version) == ("chinh-quyen-than-thien", "2026.1")
    assert survey.title.vi == "Chính quyền thân thiện"
    assert len(survey.questions) == 26


def test_tong_the_comes_first_required_in_no_group() -> None:
    survey = load_survey(default_survey_path())
    first = survey.questions[0]
    assert first is survey.overall
    assert (first.id, first.type, first.required, first.groups) == ("tong_the", "rating5", True, ())
    assert "Ông/Bà" in first.text.vi
    # Every question but tong_the is rotated, except the follow-up of low scores (asked only then).
    assert [q.id for q in survey.detail_questions] == [q.id for q in survey.questions[1:-1]]
    assert not any(q.required for q in survey.detail_questions)


def test_low_scores_ask_for_their_reasons() -> None:
    survey = load_survey(default_survey_path())
    reasons = survey.question("ly_do_chua_hai_long")
    assert reasons.type == "checklist" and reasons.ask_when is not None
    assert [o.text.vi for o in reasons.options] == [
        "Phải chờ lâu",
        "Hướng dẫn chưa rõ, phải đi lại nhiều lần",
        "Thái độ của cán bộ chưa tốt",
        "Bị đòi tiền hoặc quà ngoài quy định",
        "Trả kết quả trễ hẹn",
        "Lý do khác",
    ]
    assert [[q.id for q in survey.followups("tong_the", v)] for v in range(1, 6)] == [
        ["ly_do_chua_hai_long"],
        ["ly_do_chua_hai_long"],
        [],
        [],
        [],
    ]
    assert survey.followups("tong_the", None) == ()
    assert reasons not in survey.detail_questions
    assert survey.to_json()["questions"][-1]["ask_when"] == {"question": "tong_the", "values": [1, 2]}


def test_every_group_holds_the_plans_codes() -> None:
    survey = load_survey(default_survey_path())
    assert [g.id for g in survey.groups] == list(GROUPS)
    for group_id, question_ids in GROUPS.items():
        group = survey.group(group_id)
        assert group.friendly == (group_id in FRIENDLY)
        assert group.sipas == (group_id not in FRIENDLY)
        assert sorted(q.id for q in survey.group_questions(group_id)) == sorted(question_ids)
    # "biết xin lỗi" and "biết cảm ơn" are the 4 xin questions, counted in both groups.
    assert survey.question("xin_loi").groups == ("4_xin", "5_biet")
    assert survey.question("xin_cam_on").groups == ("4_xin", "5_biet")


def test_nam_khong_is_one_checklist_of_the_five_khong() -> None:
    question = load_survey(default_survey_path()).question("nam_khong")
    assert question.type == "checklist"
    assert question.text.vi == "Ông/Bà có gặp hành vi nào sau đây không?"
    assert [o.id for o in question.options] == list(NAM_KHONG)
    for option_id, words in NAM_KHONG.items():
        assert words in question.option(option_id).text.vi


def test_vietnamese_wording_keeps_diacritics_and_addresses_ong_ba() -> None:
    survey = load_survey(default_survey_path())
    for question_id, words in CODE_WORDS.items():
        assert words in survey.question(question_id).text.vi.lower(), question_id
    for question in survey.questions:
        assert "Ông/Bà" in question.text.vi, question.id
        if question.type == "rating5" and question.id != "tong_the":
            # Read against the satisfaction scale, so the question asks how satisfied.
            assert question.text.vi.startswith("Ông/Bà hài lòng thế nào với"), question.id
            assert question.text.en.startswith("How satisfied are you"), question.id


def test_every_text_is_bilingual_and_nfc() -> None:
    survey = load_survey(default_survey_path())
    for vi, en in all_texts(survey):
        assert vi and en
        assert unicodedata.is_normalized("NFC", vi), vi
        assert vi != en
    raw = default_survey_path().read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", raw)


def test_scale_reads_from_very_dissatisfied_to_very_satisfied() -> None:
    survey = load_survey(default_survey_path())
    assert [label.vi for label in survey.scale] == [
        "Rất không hài lòng",
        "Không hài lòng",
        "Bình thường",
        "Hài lòng",
        "Rất hài lòng",
    ]
    assert survey.scale_label(5).en == "Very satisfied"


def test_json_round_trip_keeps_the_content_hash() -> None:
    survey = load_survey(default_survey_path())
    shape = json.loads(json.dumps(survey.to_json()))
    again = parse_survey(shape, source="config")
    assert again == survey
    assert again.content_hash == survey.content_hash
    assert again.to_json() == survey.to_json()
    assert len(survey.content_hash) == 64


def test_json_shape_follows_survey_format() -> None:
    shape = load_survey(default_survey_path()).to_json()
    assert set(shape) == {"id", "version", "title", "groups", "questions", "scale"}
    assert shape["groups"][0] == {
        "id": "4_xin",
        "title": {"vi": "4 xin", "en": "4 'please'"},
        "friendly": True,
        "sipas": False,
    }
    tong_the = shape["questions"][0]
    assert tong_the["id"] == "tong_the" and tong_the["required"] is True and tong_the["groups"] == []
    assert "options" not in tong_the
    nam_khong = next(q for q in shape["questions"] if q["id"] == "nam_khong")
    assert nam_khong["options"][0]["id"] == "cua_quyen_hach_dich"
    assert list(shape["scale"]["rating5"]) == ["1", "2", "3", "4", "5"]


def test_content_hash_is_sha256_of_canonical_json() -> None:
    import hashlib

    survey = load_survey(default_survey_path())
    canonical = json.dumps(survey.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert survey.content_hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_the_surveys_folder_loads_as_a_whole() -> None:
    surveys = load_surveys(SURVEYS_DIR)
    assert [(s.id, s.version) for s in surveys] == [("chinh-quyen-than-thien", "2026.1")]
