"""Whatever the bytes, the loader raises nothing but SurveyError, and every error is one located line."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.loader import Survey, SurveyError, default_survey_path, parse_survey, parse_survey_toml

DEFAULT = default_survey_path().read_text(encoding="utf-8")
LINES = DEFAULT.splitlines()
KEY_LINE = re.compile(r"^([A-Za-z0-9_.]+) = (.*)$")
KEY_LINES = [i for i, line in enumerate(LINES) if KEY_LINE.match(line)]
ID_VALUES = sorted({m.group(1) for m in re.finditer(r'^id = "([^"]+)"', DEFAULT, re.M)})
FILE = "surveys/edited.toml"

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TOML_VALUES = [
    '"xin_chao"',
    '"Ông/Bà hài lòng"',
    '""',
    "1",
    "-0",
    "1.5",
    "nan",
    "true",
    "false",
    "[]",
    '["4_xin"]',
    '["4_xin", "khong_co"]',
    "[1, 2]",
    "{}",
    '{ vi = "a" }',
    '{ vi = "a", en = "b" }',
    '{ vi = "a", en = "b", fr = "c" }',
    "1979-05-27T07:32:00Z",
    "07:32:00",
    '"""\nhai\ndòng"""',
    "'''lit'''",
    '"\\u0000"',
    "[[1], [2]]",
    '[{ id = "x", text = { vi = "a", en = "b" } }]',
]
TOML_KEYS = [
    "id",
    "type",
    "text",
    "text.vi",
    "text.en",
    "groups",
    "options",
    "required",
    "friendly",
    "sipas",
    "title",
    "version",
    "scale",
    "1",
    "5",
    "meta",
    "questions",
    '"quoted key"',
    "x.y.z",
]
TOML_HEADERS = [
    "[[questions]]",
    "[[questions.options]]",
    "[[groups]]",
    "[scale.rating5]",
    "[scale]",
    "[meta]",
    "[questions]",
    "[[scale.rating5]]",
    "[title]",
    "[[questions.text]]",
]


def check_outcome(source: str, make: Any) -> Survey | None:
    """Run `make()`; it returns a Survey or raises a well-formed SurveyError."""
    try:
        survey = make()
    except SurveyError as exc:
        assert exc.errors and exc.errors[0] is exc
        for problem in exc.errors:
            assert isinstance(problem, SurveyError)
            assert problem.file == source
            assert problem.message and "\n" not in str(problem)
            assert problem.line is None or problem.line >= 1
            assert problem.id is None or isinstance(problem.id, str)
        return None
    assert isinstance(survey, Survey)
    # A survey that loads is one a device can use: it survives its own JSON.
    again = parse_survey(json.loads(json.dumps(survey.to_json())), source="again")
    assert again == survey and again.content_hash == survey.content_hash
    return survey


@SETTINGS
@given(st.binary(max_size=3000))
def test_random_bytes(raw: bytes) -> None:
    check_outcome(FILE, lambda: parse_survey_toml(raw, FILE))


@SETTINGS
@given(st.text(max_size=2000))
def test_random_text(text: str) -> None:
    check_outcome(FILE, lambda: parse_survey_toml(text.encode("utf-8", "surrogatepass"), FILE))


toml_line = st.one_of(
    st.sampled_from(TOML_HEADERS),
    st.builds(lambda k, v: f"{k} = {v}", st.sampled_from(TOML_KEYS), st.sampled_from(TOML_VALUES)),
    st.sampled_from(["", "# comment", "[", "]", "= 1", '"""', "[[", "key =", "a = [", "  1,", "]"]),
    st.text(alphabet="[]{}=\"'#.,\\ \tabc1_-\n", max_size=20),
)


@SETTINGS
@given(st.lists(toml_line, max_size=60))
def test_random_toml_ish_text(lines: list[str]) -> None:
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    check_outcome(FILE, lambda: parse_survey_toml(raw, FILE))


@st.composite
def mutated_default(draw: st.DrawFn) -> str:
    """The default file after a few edits an administrator might make by mistake."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 5))):
        action = draw(
            st.sampled_from(["delete", "swap", "duplicate_id", "drop_key", "retype", "duplicate_block"])
        )
        key_lines = [i for i, line in enumerate(lines) if KEY_LINE.match(line)]
        if action == "delete" and lines:
            start = draw(st.integers(0, len(lines) - 1))
            del lines[start : start + draw(st.integers(1, 8))]
        elif action == "swap" and len(key_lines) >= 2:
            a, b = draw(st.lists(st.sampled_from(key_lines), min_size=2, max_size=2, unique=True))
            ka, va = KEY_LINE.match(lines[a]).groups()  # type: ignore[union-attr]
            kb, vb = KEY_LINE.match(lines[b]).groups()  # type: ignore[union-attr]
            lines[a], lines[b] = f"{ka} = {vb}", f"{kb} = {va}"
        elif action == "duplicate_id":
            ids = [i for i, line in enumerate(lines) if line.startswith("id = ")]
            if ids:
                lines[draw(st.sampled_from(ids))] = f'id = "{draw(st.sampled_from(ID_VALUES))}"'
        elif action == "drop_key" and key_lines:
            key = draw(st.sampled_from(["id", "type", "text.vi", "text.en", "groups", "required", "title"]))
            hits = [i for i in key_lines if lines[i].startswith(f"{key} =")]
            if hits:
                del lines[draw(st.sampled_from(hits))]
        elif action == "retype" and key_lines:
            i = draw(st.sampled_from(key_lines))
            key = KEY_LINE.match(lines[i]).group(1)  # type: ignore[union-attr]
            lines[i] = f"{key} = {draw(st.sampled_from(TOML_VALUES))}"
        elif action == "duplicate_block":
            headers = [i for i, line in enumerate(lines) if line.startswith("[[")]
            if headers:
                start = draw(st.sampled_from(headers))
                end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("[")), len(lines))
                lines[end:end] = lines[start:end]
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_default())
def test_mutations_of_the_default_file(text: str) -> None:
    survey = check_outcome(FILE, lambda: parse_survey_toml(text.encode("utf-8"), FILE))
    if survey is None:
        try:
            parse_survey_toml(text.encode("utf-8"), FILE)
        except SurveyError as exc:
            # A located error points inside the file.
            assert all(p.line is None or p.line <= len(text.splitlines()) for p in exc.errors)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(json_value)
def test_random_json_shapes(data: Any) -> None:
    check_outcome("config", lambda: parse_survey(data, source="config"))


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += paths(item, (*prefix, i))
    return out


DEFAULT_JSON = parse_survey_toml(DEFAULT.encode("utf-8"), FILE).to_json()
JSON_PATHS = [p for p in paths(DEFAULT_JSON) if p]


@SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(JSON_PATHS), json_value | st.just("__delete__")), min_size=1, max_size=4
    )
)
def test_mutations_of_the_json_shape(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    data = json.loads(json.dumps(DEFAULT_JSON))
    for path, value in edits:
        parent = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            if value == "__delete__":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this path
    check_outcome("config", lambda: parse_survey(data, source="config"))
