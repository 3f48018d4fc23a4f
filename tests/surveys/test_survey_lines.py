"""Errors point at the right line whatever TOML style the administrator writes."""

from __future__ import annotations

import pytest

from surveys.loader import SurveyError, parse_survey_toml

TOP = """\
id = "mini"
version = "1"
title = { vi = "Khảo sát nhỏ", en = "Small survey" }
"""
SCALE = """
[scale.rating5]
1 = { vi = "Rất không hài lòng", en = "Very dissatisfied" }
2 = { vi = "Không hài lòng", en = "Dissatisfied" }
3 = { vi = "Bình thường", en = "Neutral" }
4 = { vi = "Hài lòng", en = "Satisfied" }
5 = { vi = "Rất hài lòng", en = "Very satisfied" }
"""
HEAD = TOP + SCALE


def error_for(text: str) -> SurveyError:
    with pytest.raises(SurveyError) as info:
        parse_survey_toml(text.encode("utf-8"), "mini.toml")
    return info.value


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_inline_array_of_tables_spanning_lines() -> None:
    text = (
        TOP
        + """
groups = [
  { id = "a", title = { vi = "Nhóm A", en = "Group A" } },
  { id = "b", title = { vi = "Nhóm B" } },  # the second element lacks 'en'
]
questions = [
  { id = "tong_the", type = "rating5", required = true, text = { vi = "Nhìn chung?", en = "Overall?" } },
  { id = "q1", type = "rating5", groups = ["a"], text = { vi = "Một", en = "One" } },
  { id = "q2", type = "rating5", groups = ["b"], text = { vi = "Hai", en = "Two" } },
]
"""
        + SCALE
    )
    error = error_for(text)
    assert (error.line, error.id) == (line_of(text, '"Nhóm B"'), "b")
    assert error.message == "group 'b': title has no 'en'"


def test_dotted_and_quoted_keys() -> None:
    text = (
        HEAD
        + """
[[questions]]
"id" = "tong_the"
type = "rating5"
required = true
text.vi = "Nhìn chung?"
text.en = "Overall?"

[[questions]]
id = "q1"
type = "rating5"
text."vi" = "Một"
text.'en' = ""
"""
    )
    error = error_for(text)
    assert (error.line, error.id) == (line_of(text, "text.'en'"), "q1")
    assert "text.en is empty" in error.message


def test_multiline_strings_do_not_confuse_the_line_finder() -> None:
    text = (
        HEAD
        + '''
[[questions]]
id = "tong_the"
type = "rating5"
required = true
text.vi = """Nhìn chung,
id = "gia"
[[questions]]
Ông/Bà hài lòng?"""
text.en = "Overall?"

[[questions]]
id = "q1"
type = "rateing5"
text = { vi = "Một", en = "One" }
'''
    )
    error = error_for(text)
    assert (error.line, error.id) == (line_of(text, '"rateing5"'), "q1")
    assert "did you mean 'rating5'?" in error.message


def test_nested_array_tables_count_per_parent() -> None:
    text = (
        HEAD
        + """
[[questions]]
id = "tong_the"
type = "rating5"
required = true
text = { vi = "Nhìn chung?", en = "Overall?" }

[[questions]]
id = "c1"
type = "checklist"
text = { vi = "Có gặp?", en = "Did you meet?" }
[[questions.options]]
id = "x"
text = { vi = "X", en = "X" }

[[questions]]
id = "c2"
type = "checklist"
text = { vi = "Có gặp?", en = "Did you meet?" }
[[questions.options]]
id = "y"
text = { vi = "Y", en = "Y" }
[[questions.options]]
id = "z"
text = { vi = "Z" }
"""
    )
    error = error_for(text)
    assert (error.line, error.id) == (line_of(text, '{ vi = "Z" }'), "z")
    assert error.message == "question 'c2', option 'z': text has no 'en'"


def test_a_missing_key_points_at_its_table() -> None:
    text = (
        HEAD
        + """
[[questions]]
id = "tong_the"
required = true
text = { vi = "Nhìn chung?", en = "Overall?" }
"""
    )
    error = error_for(text)
    assert (error.line, error.id) == (line_of(text, "[[questions]]"), "tong_the")
    assert "has no 'type'" in error.message


def test_a_scale_problem_points_at_the_scale() -> None:
    text = (
        HEAD.replace('4 = { vi = "Hài lòng", en = "Satisfied" }\n', "")
        + """
[[questions]]
id = "tong_the"
type = "rating5"
required = true
text = { vi = "Nhìn chung?", en = "Overall?" }
"""
    )
    error = error_for(text)
    assert (error.line, error.id) == (line_of(text, "[scale.rating5]"), None)
    assert error.message == "scale.rating5 has no label for 4"


def test_a_good_minimal_survey_loads() -> None:
    text = (
        HEAD
        + """
[[questions]]
id = "tong_the"
type = "rating5"
required = true
text = { vi = "Nhìn chung?", en = "Overall?" }

[[questions]]
id = "gop_y"
type = "text"
text = { vi = "Ông/Bà có góp ý gì không?", en = "Any comments?" }
"""
    )
    survey = parse_survey_toml(text.encode("utf-8"), "mini.toml")
    assert [q.id for q in survey.detail_questions] == ["gop_y"]
    assert survey.groups == ()


def test_a_top_level_key_below_a_table_gets_a_hint() -> None:
    text = (
        HEAD
        + """
questions = [
  { id = "tong_the", type = "rating5", required = true, text = { vi = "Nhìn chung?", en = "Overall?" } },
]
"""
    )
    error = error_for(text)
    assert (error.line, error.id) == (line_of(text, "questions = ["), None)
    assert "move 'questions' above the first header, or add the header it belongs under" in error.message
