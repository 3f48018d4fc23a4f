"""One test per rule of survey-format.md (and the loader's own): the error names file, line and id."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from surveys.loader import Survey, SurveyError, default_survey_path, load_survey

DEFAULT = default_survey_path().read_text(encoding="utf-8")


def edit(text: str, old: str, new: str, count: int = 1) -> str:
    """Replace `old` (which must occur) in the default file's text."""
    assert old in text, old
    return text.replace(old, new, count)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `needle`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, needle
    return hits[occurrence - 1]


def fail(tmp_path: Path, text: str) -> SurveyError:
    path = tmp_path / "edited.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SurveyError) as info:
        load_survey(path)
    error = info.value
    assert error.file == str(path)
    assert str(error).startswith(f"{path}:{error.line}: " if error.line else f"{path}: ")
    assert "\n" not in str(error)
    return error


def expect(error: SurveyError, line: int | None, id: str | None, *fragments: str) -> None:
    assert (error.line, error.id) == (line, id), str(error)
    for fragment in fragments:
        assert fragment in error.message, str(error)


def test_question_ids_are_unique(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "xin_phep"', 'id = "xin_chao"')
    error = fail(tmp_path, text)
    first = line_of(text, 'id = "xin_chao"')
    expect(
        error,
        line_of(text, 'id = "xin_chao"', 2),
        "xin_chao",
        "question 'xin_chao'",
        f"first on line {first}",
    )


def test_group_ids_are_unique(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "4_luon"', 'id = "4_xin"')
    error = fail(tmp_path, text)
    expect(error, line_of(text, 'id = "4_xin"', 2), "4_xin", "group '4_xin'", "used twice")


def test_option_ids_are_unique_within_a_question(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "loi_dung_chuc_vu"', 'id = "quan_lieu_vo_cam"')
    error = fail(tmp_path, text)
    expect(
        error,
        line_of(text, 'id = "quan_lieu_vo_cam"', 2),
        "quan_lieu_vo_cam",
        "question 'nam_khong', option 'quan_lieu_vo_cam'",
        "used twice",
    )


@pytest.mark.parametrize("bad", ["Xin_Chao", "xin-chao", "xin chào", "_xin_chao", ""])
def test_question_ids_are_lowercase_a_z_0_9_underscore(tmp_path: Path, bad: str) -> None:
    text = edit(DEFAULT, 'id = "xin_chao"', f'id = "{bad}"')
    error = fail(tmp_path, text)
    expect(
        error, line_of(text, f'id = "{bad}"'), unicodedata.normalize("NFC", bad), "lowercase", "question #2"
    )


def test_group_and_option_ids_follow_the_same_pattern(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "3_the_hien"', 'id = "3 Thể hiện"')
    expect(fail(tmp_path, text), line_of(text, 'id = "3 Thể hiện"'), "3 Thể hiện", "group #4", "lowercase")
    text = edit(DEFAULT, 'id = "xu_ninh_chay_chot"', 'id = "XuNinh"')
    expect(fail(tmp_path, text), line_of(text, 'id = "XuNinh"'), "XuNinh", "option #4", "lowercase")


def test_an_id_must_be_text(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "van_minh"', "id = 15")
    expect(fail(tmp_path, text), line_of(text, "id = 15"), None, "question #14", "must be a text", "a number")


def test_a_question_without_id_is_named_by_position(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "gan_gui"\n', "")
    line = line_of(text, "[[questions]]", 15)
    expect(fail(tmp_path, text), line, None, "question #15", "has no 'id'")


def test_referenced_groups_exist(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'groups = ["4_luon"]', 'groups = ["4_loun"]')
    error = fail(tmp_path, text)
    expect(error, line_of(text, '"4_loun"'), "luon_mim_cuoi", "group '4_loun' is not defined", "'4_luon'")


def test_a_group_is_listed_once_per_question(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'groups = ["4_xin", "5_biet"]', 'groups = ["4_xin", "4_xin"]')
    expect(fail(tmp_path, text), line_of(text, '"4_xin", "4_xin"'), "xin_loi", "listed twice")


def test_a_checklist_has_options(tmp_path: Path) -> None:
    start = DEFAULT.index("[[questions.options]]")
    end = DEFAULT.index("# SIPAS — tiếp cận")
    text = DEFAULT[:start] + DEFAULT[end:]
    error = fail(tmp_path, text)
    expect(error, line_of(text, 'id = "nam_khong"') - 1, "nam_khong", "checklist question needs options")


def test_a_choice_has_at_least_two_options(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'type = "checklist"', 'type = "choice"')
    assert load_survey_text(tmp_path, text).question("nam_khong").type == "choice"
    start = DEFAULT.index('[[questions.options]]\nid = "quan_lieu_vo_cam"')
    end = DEFAULT.index("# SIPAS — tiếp cận")
    text = edit(DEFAULT[:start] + DEFAULT[end:], 'type = "checklist"', 'type = "choice"')
    error = fail(tmp_path, text)
    expect(error, line_of(text, "[[questions.options]]"), "nam_khong", "choice question needs at least 2")


def test_a_rating_question_has_no_options(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "nam_khong"\ntype = "checklist"', 'id = "nam_khong"\ntype = "rating5"')
    error = fail(tmp_path, text)
    expect(error, line_of(text, "[[questions.options]]"), "nam_khong", "rating5 question has no options")


def test_question_text_has_english(tmp_path: Path) -> None:
    text = edit(
        DEFAULT,
        'text.en = "How satisfied are you with the way the officer greeted you when you arrived?"\n',
        "",
    )
    error = fail(tmp_path, text)
    expect(error, line_of(text, "lời xin chào"), "xin_chao", "question 'xin_chao': text has no 'en'")
    assert str(error) == f"{error.file}:{error.line}: question 'xin_chao': text has no 'en'"


def test_question_text_has_vietnamese(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'text.vi = "Ông/Bà hài lòng thế nào với sự giúp đỡ tận tình của cán bộ?"\n', "")
    error = fail(tmp_path, text)
    expect(error, line_of(text, "how willingly the officer helped"), "luon_giup_do", "text has no 'vi'")


def test_question_text_is_not_blank(tmp_path: Path) -> None:
    text = edit(
        DEFAULT,
        'text.en = "How satisfied are you with the respect the officer showed you?"',
        'text.en = "  "',
    )
    expect(fail(tmp_path, text), line_of(text, 'text.en = "  "'), "ton_trong", "text.en is empty")


def test_question_text_is_a_table(tmp_path: Path) -> None:
    text = edit(
        DEFAULT,
        'text.vi = "Ông/Bà hài lòng thế nào với sự gần gũi, thân thiện của cán bộ?"\n'
        'text.en = "How satisfied are you with how warm and approachable the officer was?"',
        'text = "Ông/Bà thấy cán bộ có gần gũi không?"',
    )
    expect(fail(tmp_path, text), line_of(text, "gần gũi không"), "gan_gui", "text must be a table like")


def test_question_has_text(tmp_path: Path) -> None:
    text = edit(
        DEFAULT,
        'text.vi = "Ông/Bà hài lòng thế nào với sự gần gũi, thân thiện của cán bộ?"\n'
        'text.en = "How satisfied are you with how warm and approachable the officer was?"\n',
        "",
    )
    expect(fail(tmp_path, text), line_of(text, 'id = "gan_gui"') - 1, "gan_gui", "has no 'text'")


def test_group_title_has_both_languages(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'title = { vi = "5 biết", en = "5 \'knows how to\'" }', 'title = { vi = "5 biết" }')
    expect(
        fail(tmp_path, text),
        line_of(text, '{ vi = "5 biết" }'),
        "5_biet",
        "group '5_biet': title has no 'en'",
    )


def test_option_text_has_both_languages(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'text.en = "Abuse of position or power"\n', "")
    error = fail(tmp_path, text)
    expect(
        error,
        line_of(text, "Lợi dụng chức vụ"),
        "loi_dung_chuc_vu",
        "option 'loi_dung_chuc_vu': text has no 'en'",
    )


def test_survey_title_has_both_languages(tmp_path: Path) -> None:
    text = edit(DEFAULT, ', en = "Friendly government" }', " }")
    expect(fail(tmp_path, text), line_of(text, "title = { vi"), "chinh-quyen-than-thien", "title has no 'en'")


def test_a_text_has_no_invisible_control_characters(tmp_path: Path) -> None:
    text = edit(DEFAULT, "Quan liêu, vô cảm", "Quan liêu,\\u0007 vô cảm")
    expect(fail(tmp_path, text), line_of(text, "Quan liêu,"), "quan_lieu_vo_cam", "control character U+0007")


def test_exactly_one_tong_the_exists(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "tong_the"', 'id = "tong_quat"')
    error = fail(tmp_path, text)
    # The rename also leaves a required detail question; the missing tong_the is what counts.
    missing = [e for e in error.errors if "has no 'tong_the' question" in e.message]
    assert len(missing) == 1, [str(e) for e in error.errors]
    assert missing[0].file == error.file
    expect(missing[0], line_of(text, "[[questions]]"), None, "the overall rating5 question")
    text = edit(DEFAULT, 'id = "pakn_de_dang"', 'id = "tong_the"')
    expect(fail(tmp_path, text), line_of(text, 'id = "tong_the"', 2), "tong_the", "used twice")


def test_tong_the_is_rating5(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "tong_the"\ntype = "rating5"', 'id = "tong_the"\ntype = "text"')
    expect(fail(tmp_path, text), line_of(text, 'type = "text"'), "tong_the", "must be of type rating5")


def test_tong_the_comes_first(tmp_path: Path) -> None:
    # Without the follow-up, which would also (rightly) complain that tong_the comes after it.
    plain = DEFAULT[: DEFAULT.index("\n# Follow-up on a low score")] + "\n"
    block_start = plain.index('[[questions]]\nid = "tong_the"')
    block_end = plain.index("# 4 xin: xin chào")
    block = plain[block_start:block_end]
    text = plain[:block_start] + plain[block_end:] + "\n" + block
    error = fail(tmp_path, text)
    expect(error, line_of(text, 'id = "tong_the"') - 1, "tong_the", "must be the first question")


def test_tong_the_is_required_and_in_no_group(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'type = "rating5"\nrequired = true\n', 'type = "rating5"\n')
    expect(fail(tmp_path, text), line_of(text, 'id = "tong_the"') - 1, "tong_the", "required = true")
    text = edit(DEFAULT, "required = true\n", 'required = true\ngroups = ["4_xin"]\n')
    expect(fail(tmp_path, text), line_of(text, 'groups = ["4_xin"]'), "tong_the", "must not be in a group")


def test_only_tong_the_is_required(tmp_path: Path) -> None:
    text = edit(
        DEFAULT, 'id = "xin_phep"\ntype = "rating5"\n', 'id = "xin_phep"\ntype = "rating5"\nrequired = true\n'
    )
    expect(
        fail(tmp_path, text),
        line_of(text, "required = true", 2),
        "xin_phep",
        "only 'tong_the' can be required",
    )


def test_known_question_types_only(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "ton_trong"\ntype = "rating5"', 'id = "ton_trong"\ntype = "rating"')
    error = fail(tmp_path, text)
    expect(
        error,
        line_of(text, 'type = "rating"'),
        "ton_trong",
        "unknown type 'rating'",
        "did you mean 'rating5'?",
    )
    text = edit(DEFAULT, 'id = "ton_trong"\ntype = "rating5"', 'id = "ton_trong"\ntype = "slider"')
    expect(fail(tmp_path, text), line_of(text, 'type = "slider"'), "ton_trong", "one of rating5, checklist")


def test_unknown_question_key_gets_a_hint(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'groups = ["3_the_hien"]', 'grups = ["3_the_hien"]')
    error = fail(tmp_path, text)
    expect(error, line_of(text, "grups"), "ton_trong", "unknown key 'grups'", "did you mean 'groups'?")


def test_unknown_keys_elsewhere_are_rejected(tmp_path: Path) -> None:
    text = edit(DEFAULT, "sipas = true\n", "sipas = true\nweight = 2\n")
    expect(
        fail(tmp_path, text), line_of(text, "weight = 2"), "tiep_can", "unknown key 'weight'", "allowed: id"
    )
    text = edit(DEFAULT, 'version = "2026.1"', 'version = "2026.1"\nverison = "2024.2"')
    expect(fail(tmp_path, text), line_of(text, "verison"), None, "unknown key 'verison'", "'version'")
    text = edit(DEFAULT, 'text.en = "Red tape, indifference, irresponsibility"', 'text.fr = "Bureaucratie"')
    error = fail(tmp_path, text)
    assert error.id == "quan_lieu_vo_cam"
    assert {e.message.split(": ", 2)[-1] for e in error.errors} >= {"text has no 'en'"}


def test_flags_are_true_or_false(tmp_path: Path) -> None:
    text = edit(DEFAULT, "4 'please'\" }\nfriendly = true", '4 \'please\'" }\nfriendly = "yes"')
    expect(
        fail(tmp_path, text), line_of(text, 'friendly = "yes"'), "4_xin", "'friendly' must be true or false"
    )


def test_scale_lists_labels_1_to_5(tmp_path: Path) -> None:
    text = edit(DEFAULT, '3 = { vi = "Bình thường", en = "Neutral" }\n', "")
    expect(fail(tmp_path, text), line_of(text, "[scale.rating5]"), None, "no label for 3")
    text = edit(
        DEFAULT,
        '5 = { vi = "Rất hài lòng", en = "Very satisfied" }',
        '5 = { vi = "Rất hài lòng", en = "Very satisfied" }\n6 = { vi = "Tuyệt vời", en = "Great" }',
    )
    expect(fail(tmp_path, text), line_of(text, "6 = {"), None, "unknown value '6'")
    text = edit(
        DEFAULT, '2 = { vi = "Không hài lòng", en = "Dissatisfied" }', '2 = { vi = "Không hài lòng" }'
    )
    expect(fail(tmp_path, text), line_of(text, '2 = { vi = "Không hài lòng" }'), None, "label 2 has no 'en'")


def test_survey_has_id_version_and_title(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'version = "2026.1"', "version = 2026.1")
    error = fail(tmp_path, text)
    expect(error, line_of(text, "version = 2026.1"), "chinh-quyen-than-thien", 'text in quotes like "2024.1"')
    text = edit(DEFAULT, 'id = "chinh-quyen-than-thien"\n', "")
    expect(fail(tmp_path, text), None, None, "the survey has no 'id'")


def test_every_group_has_a_question(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'groups = ["pakn"]', 'groups = ["cong_chuc"]')
    expect(fail(tmp_path, text), line_of(text, 'id = "pakn"') - 1, "pakn", "no question is in this group")


def test_all_problems_are_reported_in_file_order(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'groups = ["4_luon"]', 'groups = ["4_loun"]')
    text = edit(text, 'id = "xin_phep"', 'id = "xin_chao"')
    text = edit(text, 'version = "2026.1"', "version = 2024")
    error = fail(tmp_path, text)
    lines = [e.line or 0 for e in error.errors]
    assert len(error.errors) == 3 and 0 not in lines and lines == sorted(lines)
    assert error.errors[0] is error
    assert [e.id for e in error.errors] == ["chinh-quyen-than-thien", "xin_chao", "luon_mim_cuoi"]


def test_decomposed_text_is_normalised_to_nfc(tmp_path: Path) -> None:
    text = unicodedata.normalize("NFD", DEFAULT)
    assert text != DEFAULT
    survey = load_survey_text(tmp_path, text)
    assert (
        survey.question("xin_chao").text.vi
        == "Ông/Bà hài lòng thế nào với lời xin chào của cán bộ khi Ông/Bà đến?"
    )
    assert survey.content_hash == load_survey(default_survey_path()).content_hash


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + DEFAULT.encode("utf-8"))
    assert load_survey(path).id == "chinh-quyen-than-thien"


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(
        DEFAULT.replace("Ông/Bà hài lòng thế nào với lời xin chào", "Ong/Ba")
        .encode("utf-8")
        .replace(b"Ong/Ba", "Ông/Bà".encode("cp1258"))
    )
    error = fail_path(path)
    assert error.line == line_of(DEFAULT, "Ông/Bà hài lòng thế nào với lời xin chào")
    assert "not UTF-8" in error.message


def test_toml_syntax_errors_give_the_line(tmp_path: Path) -> None:
    text = edit(DEFAULT, 'id = "ton_trong"', "id = ton_trong")
    error = fail(tmp_path, text)
    expect(error, line_of(text, "id = ton_trong"), None, "TOML syntax error")
    text = edit(
        DEFAULT,
        'text.vi = "Ông/Bà hài lòng thế nào với sự tôn trọng',
        'text.vi = "Ông/Bà hài lòng thế nào với sự tôn trọng" "',
    )
    expect(fail(tmp_path, text), line_of(text, "sự tôn trọng"), None, "TOML syntax error")


def test_missing_file_and_folder_are_clear(tmp_path: Path) -> None:
    error = fail_path(tmp_path / "nope.toml")
    expect(error, None, None, "cannot read the file")
    error = fail_path(tmp_path)
    expect(error, None, None, "cannot read the file")


def load_survey_text(tmp_path: Path, text: str) -> Survey:
    path = tmp_path / "ok.toml"
    path.write_text(text, encoding="utf-8")
    return load_survey(path)


def fail_path(path: Path) -> SurveyError:
    with pytest.raises(SurveyError) as info:
        load_survey(path)
    assert info.value.file == str(path)
    return info.value


# The follow-up's line (the same text also stands in the file's editing notes, as a comment).
ASK_WHEN = '\nask_when = { question = "tong_the", values = [1, 2] }'


@pytest.mark.parametrize(
    ("new", "fragment"),
    [
        ('ask_when = { question = "tong_thee", values = [1, 2] }', "'tong_thee', which does not exist"),
        ('ask_when = { question = "pakn_de_dang", values = [1] }', "'pakn_de_dang', which comes later"),
        ('ask_when = { question = "tong_the", values = [0, 6] }', "value 0 does not fit: use ratings 1 to 5"),
        ('ask_when = { question = "tong_the", values = ["1"] }', "value '1' does not fit"),
        ('ask_when = { question = "tong_the", values = [] }', "needs 'values', a non-empty list"),
        ('ask_when = { question = "nam_khong", values = ["hach"] }', "use option ids of 'nam_khong'"),
        ('ask_when = { question = "tong_the", value = [1] }', "value"),
        ('ask_when = "tong_the"', "ask_when must be a table"),
    ],
)
def test_a_follow_up_names_an_earlier_question_and_values_that_fit(
    tmp_path: Path, new: str, fragment: str
) -> None:
    # The follow-up of the default survey, moved before pakn_de_dang for the "comes later" case.
    text = edit(DEFAULT, ASK_WHEN, "\n" + new)
    if "pakn_de_dang" in new:
        start = text.index("\n# Follow-up on a low score")
        block = text[start:]
        text = text[:start] + "\n"
        at = text.index("# SIPAS — phản ánh, kiến nghị.")
        text = text[:at] + block.lstrip("\n") + "\n" + text[at:]
    expect(fail(tmp_path, text), line_of(text, new), "ly_do_chua_hai_long", fragment)


def test_tong_the_cannot_be_a_follow_up(tmp_path: Path) -> None:
    text = edit(
        DEFAULT, "required = true\n", 'required = true\nask_when = { question = "tong_the", values = [1] }\n'
    )
    error = fail(tmp_path, text)
    expect(
        error,
        line_of(text, 'ask_when = { question = "tong_the", values = [1] }'),
        "tong_the",
        "cannot be a follow-up",
    )


def test_a_checklist_follow_up_fits_any_ticked_option(tmp_path: Path) -> None:
    money = '\nask_when = { question = "nam_khong", values = ["tham_nhung_lang_phi"] }'
    text = edit(DEFAULT, ASK_WHEN, money)
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    survey = load_survey(path)
    assert [q.id for q in survey.followups("nam_khong", ["quan_lieu_vo_cam", "tham_nhung_lang_phi"])] == [
        "ly_do_chua_hai_long"
    ]
    assert survey.followups("nam_khong", ["quan_lieu_vo_cam"]) == ()
    assert survey.followups("nam_khong", []) == ()
