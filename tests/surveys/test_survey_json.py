"""parse_survey: the JSON shape a device receives, validated with the same rules (no line numbers)."""

from __future__ import annotations

import copy
import json
import unicodedata
from typing import Any

import pytest

from surveys.loader import SurveyError, default_survey_path, load_survey, parse_survey

SURVEY = load_survey(default_survey_path())


def shape() -> dict[str, Any]:
    return copy.deepcopy(SURVEY.to_json())


def error_for(data: Any) -> SurveyError:
    with pytest.raises(SurveyError) as info:
        parse_survey(data, source="config")
    assert info.value.file == "config" and info.value.line is None
    return info.value


def test_errors_name_the_source_and_the_id() -> None:
    data = shape()
    del data["questions"][1]["text"]["en"]
    error = error_for(data)
    assert str(error) == "config: question 'xin_chao': text has no 'en'"
    assert error.id == "xin_chao"


def test_meta_belongs_to_files_only() -> None:
    data = shape()
    data["meta"] = {"description": "ghi chú"}
    assert "unknown key 'meta'" in error_for(data).message


def test_decomposed_text_is_normalised_to_nfc() -> None:
    data = json.loads(unicodedata.normalize("NFD", json.dumps(shape(), ensure_ascii=False)))
    survey = parse_survey(data, source="config")
    assert survey.question("xin_chao").text.vi == SURVEY.question("xin_chao").text.vi
    assert unicodedata.is_normalized("NFC", survey.question("xin_chao").text.vi)
    assert survey.content_hash == SURVEY.content_hash


def test_surrounding_spaces_do_not_change_the_hash() -> None:
    data = shape()
    data["questions"][1]["text"]["vi"] = "  " + data["questions"][1]["text"]["vi"] + "\n"
    assert parse_survey(data, source="config").content_hash == SURVEY.content_hash


def test_any_visible_change_changes_the_hash() -> None:
    data = shape()
    data["questions"][1]["text"]["vi"] = data["questions"][1]["text"]["vi"].replace("xin chào", "chào hỏi")
    assert parse_survey(data, source="config").content_hash != SURVEY.content_hash
    data = shape()
    data["version"] = "2024.2"
    assert parse_survey(data, source="config").content_hash != SURVEY.content_hash


def test_defaults_are_filled_in() -> None:
    data = shape()
    for group in data["groups"]:
        if not group["sipas"]:
            del group["sipas"]
    del data["questions"][1]["required"]
    survey = parse_survey(data, source="config")
    assert survey == SURVEY
    assert survey.to_json()["questions"][1]["required"] is False


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_flags_must_be_booleans_not_numbers(value: Any) -> None:
    data = shape()
    data["groups"][0]["friendly"] = value
    error = error_for(data)
    assert error.id == "4_xin" and "'friendly' must be true or false" in error.message


def test_non_string_keys_are_reported_not_crashed_on() -> None:
    data: dict[Any, Any] = shape()
    data[7] = "x"
    assert "unknown key '7'" in error_for(data).message


@pytest.mark.parametrize("data", [None, [], "survey", 3, [shape()]])
def test_not_a_table_at_all(data: Any) -> None:
    assert "must be a table of keys" in error_for(data).message


def test_lookups_raise_keyerror_for_unknown_ids() -> None:
    with pytest.raises(KeyError):
        SURVEY.question("khong_co")
    with pytest.raises(KeyError):
        SURVEY.group("khong_co")
    with pytest.raises(KeyError):
        SURVEY.question("nam_khong").option("khong_co")
    with pytest.raises(KeyError):
        SURVEY.scale_label(6)


def test_survey_is_immutable() -> None:
    with pytest.raises(AttributeError):
        SURVEY.version = "x"  # type: ignore[misc]
    assert isinstance(SURVEY.questions, tuple) and isinstance(SURVEY.question("nam_khong").options, tuple)
    assert hash(SURVEY.question("xin_chao")) == hash(SURVEY.question("xin_chao"))


def test_lenient_parsing_ignores_fields_a_newer_server_adds() -> None:
    data = shape()
    data["description"] = {"vi": "Mô tả", "en": "Description"}
    data["questions"][1]["short"] = {"vi": "Xin chào", "en": "Hello"}
    data["questions"][1]["text"]["fr"] = "Bonjour"
    assert "unknown key 'description'" in error_for(data).message
    survey = parse_survey(data, source="config", strict=False)
    assert survey.content_hash == SURVEY.content_hash
    del data["questions"][1]["text"]["en"]
    with pytest.raises(SurveyError, match="text has no 'en'"):
        parse_survey(data, source="config", strict=False)
