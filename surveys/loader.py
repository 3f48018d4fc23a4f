"""Load and validate survey definitions (survey-format.md) into frozen dataclasses.

    >>> survey = load_survey(default_survey_path())
    >>> survey.question("tong_the").type
    'rating5'

Whatever the input, the only exception raised is `SurveyError`, naming the file, the line (best
effort: `tomllib` gives no positions, so `_LineMap` finds them) and the offending id.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, cast

from surveys.canonical import canonical_json

__all__ = [
    "OVERALL_ID",
    "QUESTION_TYPES",
    "AskWhen",
    "Group",
    "Option",
    "Question",
    "Survey",
    "SurveyError",
    "Text",
    "default_survey_path",
    "load_survey",
    "load_surveys",
    "parse_survey",
    "parse_survey_toml",
]

QuestionType = Literal["rating5", "checklist", "choice", "text"]
QUESTION_TYPES: tuple[str, ...] = ("rating5", "checklist", "choice", "text")
OVERALL_ID = "tong_the"
LANGS = ("vi", "en")
SCALE_VALUES = ("1", "2", "3", "4", "5")

# A leading underscore is kept free for the tally rows "__answered__" and "__empty__" (architecture.md).
_ID_RE = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")
_SURVEY_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_VERSION_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")
_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END_RE = re.compile(r"\s*\(at end of document\)$")

_SURVEY_KEYS = ("id", "version", "title", "groups", "questions", "scale")
_FILE_KEYS = (*_SURVEY_KEYS, "meta")
_META_KEYS = ("description", "editing", "source", "changes")
_GROUP_KEYS = ("id", "title", "friendly", "sipas")
_QUESTION_KEYS = ("id", "type", "required", "groups", "text", "options", "ask_when")
_ASK_WHEN_KEYS = ("question", "values")
_OPTION_KEYS = ("id", "text")
_SCALE_KEYS = ("rating5",)

Path_ = tuple[str | int, ...]


class SurveyError(Exception):
    """A survey definition that cannot be used; `str()` reads `file:line: message`.

    `errors` holds every problem found in the same file (this one first), for `check`.
    """

    def __init__(self, file: str, line: int | None, id: str | None, message: str) -> None:
        super().__init__(file, line, id, message)
        self.file = file
        self.line = line
        self.id = id
        self.message = message
        self.errors: tuple[SurveyError, ...] = (self,)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Text:
    """A text in both languages, NFC."""

    vi: str
    en: str

    def get(self, lang: str) -> str:
        """The text in `lang` ("vi" or "en"); Vietnamese for anything else."""
        return self.en if lang == "en" else self.vi

    def to_json(self) -> dict[str, str]:
        return {"vi": self.vi, "en": self.en}


@dataclass(frozen=True)
class Group:
    """A group of questions whose index is reported together (e.g. `4_xin`)."""

    id: str
    title: Text
    friendly: bool = False
    sipas: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title.to_json(), "friendly": self.friendly, "sipas": self.sipas}


@dataclass(frozen=True)
class Option:
    """One option of a `checklist` or `choice` question."""

    id: str
    text: Text

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text.to_json()}


@dataclass(frozen=True)
class AskWhen:
    """A follow-up's condition (survey-format.md): asked right after `question` when its answer is one of
    `values` (for a checklist: when any of these options is ticked).

    >>> AskWhen("tong_the", (1, 2)).fits(2), AskWhen("tong_the", (1, 2)).fits(3)
    (True, False)
    """

    question: str
    values: tuple[int | str, ...]

    def fits(self, answer: Any) -> bool:
        """True when this answer to `question` calls for the follow-up."""
        if isinstance(answer, list | tuple):
            return any(value in self.values for value in answer)
        return answer is not None and not isinstance(answer, bool) and answer in self.values

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "values": list(self.values)}


@dataclass(frozen=True)
class Question:
    """One question; `options` is empty unless the type is `checklist` or `choice`; `ask_when` is set
    on a follow-up, which is never among the rotated items."""

    id: str
    type: QuestionType
    text: Text
    groups: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    required: bool = False
    ask_when: AskWhen | None = None

    def option(self, option_id: str) -> Option:
        """The option with this id (KeyError if unknown)."""
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(option_id)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "required": self.required,
            "groups": list(self.groups),
            "text": self.text.to_json(),
        }
        if self.type in ("checklist", "choice"):
            out["options"] = [option.to_json() for option in self.options]
        if self.ask_when is not None:
            out["ask_when"] = self.ask_when.to_json()
        return out


@dataclass(frozen=True)
class Survey:
    """A validated survey definition.

    >>> survey.detail_questions[0].id
    'xin_chao'
    """

    id: str
    version: str
    title: Text
    groups: tuple[Group, ...]
    questions: tuple[Question, ...]
    scale: tuple[Text, ...]  # labels of rating5 values 1..5, in order
    source: str = field(default="", compare=False)

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if unknown)."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def group(self, group_id: str) -> Group:
        """The group with this id (KeyError if unknown)."""
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)

    def group_questions(self, group_id: str) -> tuple[Question, ...]:
        """The questions in a group, in file order (KeyError if the group is unknown)."""
        self.group(group_id)
        return tuple(q for q in self.questions if group_id in q.groups)

    @property
    def overall(self) -> Question:
        """The overall question `tong_the`, asked first on every ballot."""
        return self.question(OVERALL_ID)

    @property
    def detail_questions(self) -> tuple[Question, ...]:
        """The rotated items: every question but `tong_the` and the follow-ups, in file order."""
        return tuple(q for q in self.questions if q.id != OVERALL_ID and q.ask_when is None)

    def followups(self, question_id: str, answer: Any) -> tuple[Question, ...]:
        """The follow-ups that this answer to `question_id` calls for, in file order.

        >>> [q.id for q in survey.followups("tong_the", 2)], survey.followups("tong_the", 4)
        (['ly_do_chua_hai_long'], ())
        """
        return tuple(
            q
            for q in self.questions
            if q.ask_when is not None and q.ask_when.question == question_id and q.ask_when.fits(answer)
        )

    def scale_label(self, value: int) -> Text:
        """The label of a rating5 value 1..5 (KeyError otherwise)."""
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise KeyError(value)
        return self.scale[value - 1]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape sent to devices (survey-format.md)."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title.to_json(),
            "groups": [group.to_json() for group in self.groups],
            "questions": [question.to_json() for question in self.questions],
            "scale": {"rating5": {str(i + 1): label.to_json() for i, label in enumerate(self.scale)}},
        }

    @cached_property
    def canonical_json(self) -> bytes:
        """`to_json()` as UTF-8 bytes: sorted keys, no whitespace, NFC text (already normalised)."""
        return canonical_json(self.to_json()).encode("utf-8")

    @cached_property
    def content_hash(self) -> str:
        """sha256 hex of `canonical_json`: changes with any change a device would see."""
        return hashlib.sha256(self.canonical_json).hexdigest()


def default_survey_path() -> Path:
    """The bundled default survey, "Chính quyền thân thiện"."""
    return Path(__file__).resolve().parent / "chinh_quyen_than_thien.toml"


def load_survey(path: str | Path) -> Survey:
    """Read and validate a TOML survey file.

    >>> load_survey("surveys/chinh_quyen_than_thien.toml").version
    '2026.1'
    """
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise SurveyError(file, None, None, f"cannot read the file: {reason}") from None
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise SurveyError(file, None, None, f"cannot read the file: {exc}") from None
    return parse_survey_toml(raw, file)


def parse_survey_toml(raw: bytes, file: str) -> Survey:
    """Validate the bytes of a TOML survey file; `file` names it in errors."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SurveyError(
            file, line, None, f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        ) from None
    # Windows editors may add a byte-order mark, which TOML does not allow.
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(file, str(exc)) from None
    except RecursionError:
        raise SurveyError(file, None, None, "TOML syntax error: values nested too deeply") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts (4300 digits)
        detail = "a number has too many digits" if "digits" in str(exc) else str(exc)
        raise SurveyError(file, None, None, f"TOML syntax error: {detail}") from None
    return _validate(data, file, _LineMap(text), in_file=True)


def parse_survey(data: Mapping[str, Any], source: str, *, strict: bool = True) -> Survey:
    """Validate the JSON shape of survey-format.md (e.g. a device's config); `source` names it in errors.

    With `strict=False` unknown keys are ignored instead of refused: the sync protocol may add fields,
    and a device should still read a newer server's survey. Every other rule holds.

    >>> parse_survey(survey.to_json(), source="config") == survey
    True
    """
    return _validate(data, source, None, in_file=False, strict=strict)


def load_surveys(folder: str | Path) -> list[Survey]:
    """Every `*.toml` survey in a folder, sorted by file name; raises on the first bad file.

    Two files with the same id and version are an error: a device could not tell them apart.
    """
    root = Path(folder)
    try:
        paths = sorted(p for p in root.iterdir() if p.suffix == ".toml" and p.is_file())
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise SurveyError(str(folder), None, None, f"cannot read the folder: {reason}") from None
    surveys: list[Survey] = []
    seen: dict[tuple[str, str], Survey] = {}
    for path in paths:
        survey = load_survey(path)
        key = (survey.id, survey.version)
        if key in seen:
            raise SurveyError(
                survey.source,
                None,
                survey.id,
                f"survey '{survey.id}' version {survey.version} is also defined in {seen[key].source}; "
                "give one of them a new version",
            )
        seen[key] = survey
        surveys.append(survey)
    return surveys


def _toml_error(file: str, detail: str) -> SurveyError:
    line: int | None = None
    match = _TOML_POS_RE.search(detail)
    if match:
        line = int(match.group(1))
        detail = f"{detail[: match.start()]} (column {match.group(2)})"
    else:
        detail = _TOML_END_RE.sub(" (at the end of the file)", detail)
    return SurveyError(file, line, None, f"TOML syntax error: {detail}")


def _kind(value: object) -> str:
    """How a value's type reads to an administrator."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dt.date | dt.time):
        return "a date/time"
    return f"a {type(value).__name__}"


def _show(value: str, limit: int = 40) -> str:
    """A user's value, shortened for a one-line message."""
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in value[:limit])
    return shown if len(value) <= limit else f"{shown[: limit - 1]}…"


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


class _Checker:
    """Collects every problem of one definition, each with its line when the file is known."""

    def __init__(self, source: str, lines: _LineMap | None, strict: bool = True) -> None:
        self.source = source
        self.lines = lines
        self.strict = strict
        self.errors: list[SurveyError] = []

    def add(self, path: Path_, id: str | None, message: str) -> None:
        line = self.lines.line_of(path) if self.lines is not None else None
        self.errors.append(SurveyError(self.source, line, id, message))

    def keys(
        self, value: Mapping[Any, Any], allowed: Sequence[str], path: Path_, id: str | None, who: str
    ) -> None:
        """Report keys that are not in `allowed`, with a hint for a likely typo."""
        if not self.strict:
            return
        for key in value:
            if isinstance(key, str) and key in allowed:
                continue
            name = key if isinstance(key, str) else repr(key)
            close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
            hint = self.misplaced(path, name) or hint
            self.add((*path, str(name)), id, f"{who}unknown key '{_show(str(name))}' ({hint})")

    def misplaced(self, path: Path_, name: object) -> str | None:
        """A hint for a top-level key inside a table: in TOML, keys below a [table] header belong to it."""
        if path and name in _FILE_KEYS and self.lines is not None:
            return (
                f"keys below a [table] header belong to it: move '{name}' above the first header,"
                " or add the header it belongs under"
            )
        return None

    def text(self, value: object, path: Path_, id: str | None, who: str, what: str) -> Text | None:
        """A `{vi, en}` text, NFC, stripped."""
        if not isinstance(value, Mapping):
            self.add(
                path, id, f'{who}{what} must be a table like {{ vi = "…", en = "…" }}, not {_kind(value)}'
            )
            return None
        self.keys(value, LANGS, path, id, f"{who}{what}: ")
        found: dict[str, str] = {}
        for lang in LANGS:
            if lang not in value:
                self.add(path, id, f"{who}{what} has no '{lang}'")
                continue
            item = value[lang]
            if not isinstance(item, str):
                self.add((*path, lang), id, f"{who}{what}.{lang} must be a text, not {_kind(item)}")
                continue
            item = _nfc(item).strip()
            if not item:
                self.add((*path, lang), id, f"{who}{what}.{lang} is empty")
                continue
            bad = next((c for c in item if unicodedata.category(c) == "Cc" and c != "\n"), None)
            if bad is not None:
                self.add(
                    (*path, lang),
                    id,
                    f"{who}{what}.{lang} contains an invisible control character U+{ord(bad):04X}",
                )
                continue
            found[lang] = item
        if len(found) != len(LANGS):
            return None
        return Text(vi=found["vi"], en=found["en"])

    def ident(
        self, value: object, path: Path_, who: str, example: str, pattern: re.Pattern[str]
    ) -> str | None:
        """An id: a text matching `pattern`."""
        if not isinstance(value, str):
            self.add(path, None, f'{who}id must be a text like "{example}", not {_kind(value)}')
            return None
        value = _nfc(value)
        chars = "'_', '-'" if pattern is _SURVEY_ID_RE else "'_'"
        if not pattern.fullmatch(value):
            self.add(
                path,
                value,
                f"{who}id '{_show(value)}' must be lowercase letters a-z, digits and {chars}"
                f" (not starting with '_' or '-', at most 64), like '{example}'",
            )
            return None
        return value

    def flag(self, value: Mapping[str, Any], key: str, path: Path_, id: str | None, who: str) -> bool:
        item = value.get(key, False)
        if isinstance(item, bool):
            return item
        self.add((*path, key), id, f"{who}'{key}' must be true or false, not {_kind(item)}")
        return False


def _validate(
    data: object, source: str, lines: _LineMap | None, *, in_file: bool, strict: bool = True
) -> Survey:
    check = _Checker(source, lines, strict)
    survey = _build(check, data, in_file=in_file)
    if check.errors or survey is None:
        errors = sorted(check.errors, key=lambda e: (e.line is None, e.line or 0))
        if not errors:  # defensive: _build returns None only after reporting
            errors = [SurveyError(source, None, None, "not a valid survey definition")]
        first = errors[0]
        first.errors = tuple(errors)
        raise first
    return survey


def _build(check: _Checker, data: object, *, in_file: bool) -> Survey | None:
    if not isinstance(data, Mapping):
        check.add((), None, f"a survey definition must be a table of keys, not {_kind(data)}")
        return None
    check.keys(data, _FILE_KEYS if in_file else _SURVEY_KEYS, (), None, "")
    if in_file and "meta" in data:
        _check_meta(check, data["meta"])

    survey_id: str | None = None
    if "id" not in data:
        check.add((), None, "the survey has no 'id' (e.g. id = \"chinh-quyen-than-thien\")")
    else:
        survey_id = check.ident(data["id"], ("id",), "survey ", "chinh-quyen-than-thien", _SURVEY_ID_RE)

    version: str | None = None
    raw_version = data.get("version")
    if "version" not in data:
        check.add((), survey_id, "the survey has no 'version' (e.g. version = \"2024.1\")")
    elif not isinstance(raw_version, str):
        check.add(
            ("version",),
            survey_id,
            f'version must be a text in quotes like "2024.1", not {_kind(raw_version)}',
        )
    elif not _VERSION_RE.fullmatch(_nfc(raw_version)):
        check.add(
            ("version",),
            survey_id,
            f"version '{_show(raw_version)}' must be letters, digits, '.', '_' or '-'",
        )
    else:
        version = _nfc(raw_version)

    title: Text | None = None
    if "title" not in data:
        check.add((), survey_id, "the survey has no 'title'")
    else:
        title = check.text(data["title"], ("title",), survey_id, "survey ", "title")

    scale = _build_scale(check, data)
    groups = _build_groups(check, data)
    questions = _build_questions(check, data, {g.id for g in groups})
    _check_usage(check, groups, questions)

    if survey_id is None or version is None or title is None or scale is None or check.errors:
        return None
    return Survey(
        id=survey_id,
        version=version,
        title=title,
        groups=tuple(groups),
        questions=tuple(questions),
        scale=scale,
        source=check.source,
    )


def _check_meta(check: _Checker, meta: object) -> None:
    if not isinstance(meta, Mapping):
        check.add(("meta",), None, f"[meta] must be a table of notes, not {_kind(meta)}")
        return
    check.keys(meta, _META_KEYS, ("meta",), None, "[meta]: ")
    for key in _META_KEYS:
        if key in meta and not isinstance(meta[key], str):
            check.add(("meta", key), None, f"[meta]: '{key}' must be a text, not {_kind(meta[key])}")


def _build_scale(check: _Checker, data: Mapping[str, Any]) -> tuple[Text, ...] | None:
    if "scale" not in data:
        check.add((), None, "the survey has no 'scale' (labels of the rating5 answers 1 to 5)")
        return None
    scale = data["scale"]
    if not isinstance(scale, Mapping):
        check.add(("scale",), None, f"scale must be a table, not {_kind(scale)}")
        return None
    check.keys(scale, _SCALE_KEYS, ("scale",), None, "scale: ")
    rating5 = scale.get("rating5")
    path: Path_ = ("scale", "rating5")
    if not isinstance(rating5, Mapping):
        check.add(
            path if "rating5" in scale else ("scale",), None, "scale.rating5 must be a table of labels 1 to 5"
        )
        return None
    labels: list[Text] = []
    for key in rating5:
        if key not in SCALE_VALUES:
            hint = check.misplaced(path, key) or "the values are 1 to 5"
            check.add((*path, str(key)), None, f"scale.rating5: unknown value '{_show(str(key))}' ({hint})")
    for value in SCALE_VALUES:
        if value not in rating5:
            check.add(path, None, f"scale.rating5 has no label for {value}")
            continue
        label = check.text(rating5[value], (*path, value), None, "", f"scale.rating5 label {value}")
        if label is not None:
            labels.append(label)
    return tuple(labels) if len(labels) == len(SCALE_VALUES) else None


def _items(check: _Checker, data: Mapping[str, Any], key: str, required: bool) -> list[tuple[Path_, Any]]:
    """The entries of a top-level list (`groups`, `questions`), each with its path."""
    if key not in data:
        if required:
            check.add((), None, f"the survey has no '{key}'")
        return []
    items = data[key]
    if not isinstance(items, list | tuple):
        check.add((key,), None, f"'{key}' must be a list ([[{key}]] tables), not {_kind(items)}")
        return []
    return [((key, i), item) for i, item in enumerate(items)]


def _entry_id(
    check: _Checker, item: object, path: Path_, kind: str, position: int, example: str, seen: dict[str, Path_]
) -> tuple[Mapping[str, Any] | None, str | None, str]:
    """Check an entry's shape and id; returns (entry, its id or None, the message prefix naming it)."""
    who = f"{kind} #{position}: "
    if not isinstance(item, Mapping):
        check.add(path, None, f"{who}must be a table, not {_kind(item)}")
        return None, None, who
    if "id" not in item:
        check.add(path, None, f"{who}has no 'id'")
        return item, None, who
    ident = check.ident(item["id"], (*path, "id"), who, example, _ID_RE)
    if ident is None:
        return item, None, who
    who = f"{kind} '{ident}': "
    if ident in seen:
        first = check.lines.line_of(seen[ident]) if check.lines is not None else None
        where = f" (first on line {first})" if first is not None else ""
        check.add((*path, "id"), ident, f"{who}id used twice{where}; ids must be unique")
        return item, None, who
    seen[ident] = (*path, "id")
    return item, ident, who


def _build_groups(check: _Checker, data: Mapping[str, Any]) -> list[Group]:
    groups: list[Group] = []
    seen: dict[str, Path_] = {}
    for position, (path, item) in enumerate(_items(check, data, "groups", required=False), start=1):
        entry, ident, who = _entry_id(check, item, path, "group", position, "4_xin", seen)
        if entry is None:
            continue
        check.keys(entry, _GROUP_KEYS, path, ident, who)
        title = None
        if "title" not in entry:
            check.add(path, ident, f"{who}has no 'title'")
        else:
            title = check.text(entry["title"], (*path, "title"), ident, who, "title")
        friendly = check.flag(entry, "friendly", path, ident, who)
        sipas = check.flag(entry, "sipas", path, ident, who)
        if ident is not None and title is not None:
            groups.append(Group(id=ident, title=title, friendly=friendly, sipas=sipas))
        elif ident is not None:
            # Keep the id known so that questions naming it are not reported twice.
            groups.append(Group(id=ident, title=Text("?", "?"), friendly=friendly, sipas=sipas))
    return groups


def _build_questions(check: _Checker, data: Mapping[str, Any], group_ids: set[str]) -> list[Question]:
    questions: list[Question] = []
    seen: dict[str, Path_] = {}
    items = _items(check, data, "questions", required=True)
    all_ids = {
        item.get("id") for _, item in items if isinstance(item, Mapping) and isinstance(item.get("id"), str)
    }
    for position, (path, item) in enumerate(items, start=1):
        entry, ident, who = _entry_id(check, item, path, "question", position, "xin_chao", seen)
        if entry is None:
            continue
        question = _build_question(check, entry, path, ident, who, group_ids, position)
        if question is not None and "ask_when" in entry:
            ask_when = _ask_when(
                check, entry["ask_when"], (*path, "ask_when"), ident, who, questions, all_ids
            )
            question = replace(question, ask_when=ask_when) if ask_when is not None else None
        if question is not None:
            questions.append(question)
    if "questions" in data and isinstance(data["questions"], list | tuple) and OVERALL_ID not in seen:
        check.add(
            ("questions",),
            None,
            f"the survey has no '{OVERALL_ID}' question (the overall rating5 question asked first)",
        )
    return questions


def _build_question(
    check: _Checker,
    entry: Mapping[str, Any],
    path: Path_,
    ident: str | None,
    who: str,
    group_ids: set[str],
    position: int,
) -> Question | None:
    check.keys(entry, _QUESTION_KEYS, path, ident, who)
    qtype: str | None = None
    raw_type = entry.get("type")
    if "type" not in entry:
        check.add(path, ident, f"{who}has no 'type' (one of {', '.join(QUESTION_TYPES)})")
    elif not isinstance(raw_type, str) or raw_type not in QUESTION_TYPES:
        shown = f"'{raw_type}'" if isinstance(raw_type, str) else _kind(raw_type)
        close = difflib.get_close_matches(raw_type, QUESTION_TYPES, n=1) if isinstance(raw_type, str) else []
        hint = f"did you mean '{close[0]}'?" if close else f"one of {', '.join(QUESTION_TYPES)}"
        check.add((*path, "type"), ident, f"{who}unknown type {_show(shown)} ({hint})")
    else:
        qtype = raw_type

    text = None
    if "text" not in entry:
        check.add(path, ident, f"{who}has no 'text'")
    else:
        text = check.text(entry["text"], (*path, "text"), ident, who, "text")

    required = check.flag(entry, "required", path, ident, who)
    groups = _question_groups(check, entry, path, ident, who, group_ids)
    options = _question_options(check, entry, path, ident, who, qtype)

    if ident == OVERALL_ID:
        if qtype is not None and qtype != "rating5":
            check.add((*path, "type"), ident, f"{who}must be of type rating5, not {qtype}")
        if position != 1:
            check.add(path, ident, f"{who}must be the first question (it is asked first on every ballot)")
        if not required:
            check.add(path, ident, f"{who}must have required = true (one tap on it makes a valid ballot)")
        if groups:
            check.add((*path, "groups"), ident, f"{who}must not be in a group (it is the overall index)")
    elif required:
        check.add(
            (*path, "required"),
            ident,
            f"{who}only '{OVERALL_ID}' can be required (detail questions are rotated)",
        )

    if ident is None or qtype is None or text is None or groups is None or options is None:
        return None
    return Question(
        id=ident, type=cast(QuestionType, qtype), text=text, groups=groups, options=options, required=required
    )


def _ask_when(
    check: _Checker,
    raw: object,
    path: Path_,
    ident: str | None,
    who: str,
    earlier: Sequence[Question],
    all_ids: set[Any],
) -> AskWhen | None:
    """A follow-up's condition: the question it follows comes earlier, the values fit that question."""
    example = 'ask_when = { question = "tong_the", values = [1, 2] }'
    if not isinstance(raw, Mapping):
        check.add(path, ident, f"{who}ask_when must be a table like {example}, not {_kind(raw)}")
        return None
    check.keys(raw, _ASK_WHEN_KEYS, path, ident, who)
    if ident == OVERALL_ID:
        check.add(path, ident, f"{who}cannot be a follow-up (it is asked first on every ballot)")
        return None
    target, values = raw.get("question"), raw.get("values")
    if not isinstance(target, str):
        check.add(path, ident, f"{who}ask_when needs 'question', the id of an earlier question ({example})")
        return None
    target = _nfc(target)
    followed = next((q for q in earlier if q.id == target), None)
    if followed is None:
        where = "comes later" if target in all_ids else "does not exist"
        check.add(
            (*path, "question"),
            ident,
            f"{who}ask_when names question '{_show(target)}', which {where}: it must be an earlier question",
        )
        return None
    if not isinstance(values, list | tuple) or not values:
        check.add(path, ident, f"{who}ask_when needs 'values', a non-empty list ({example})")
        return None
    out: list[int | str] = []
    for value in values:
        if followed.type == "rating5":
            fits = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5
            kind = "ratings 1 to 5"
        elif followed.type in ("checklist", "choice"):
            fits = isinstance(value, str) and any(o.id == value for o in followed.options)
            kind = f"option ids of '{followed.id}'"
        else:
            check.add(
                (*path, "question"), ident, f"{who}a follow-up cannot follow a {followed.type} question"
            )
            return None
        if not fits:
            shown = f"'{_show(value)}'" if isinstance(value, str) else _show(str(value))
            check.add((*path, "values"), ident, f"{who}ask_when value {shown} does not fit: use {kind}")
            return None
        if value not in out:
            out.append(value)
    return AskWhen(followed.id, tuple(out))


def _question_groups(
    check: _Checker, entry: Mapping[str, Any], path: Path_, ident: str | None, who: str, group_ids: set[str]
) -> tuple[str, ...] | None:
    raw = entry.get("groups", [])
    gpath: Path_ = (*path, "groups")
    if not isinstance(raw, list | tuple):
        check.add(gpath, ident, f'{who}groups must be a list like ["4_xin"], not {_kind(raw)}')
        return None
    out: list[str] = []
    ok = True
    for item in raw:
        if not isinstance(item, str):
            check.add(gpath, ident, f"{who}groups must list group ids as texts, not {_kind(item)}")
            ok = False
            continue
        name = _nfc(item)
        if name not in group_ids:
            close = difflib.get_close_matches(name, sorted(group_ids), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            check.add(gpath, ident, f"{who}group '{_show(name)}' is not defined in [[groups]]{hint}")
            ok = False
        elif name in out:
            check.add(gpath, ident, f"{who}group '{name}' is listed twice")
            ok = False
        else:
            out.append(name)
    return tuple(out) if ok else None


def _question_options(
    check: _Checker, entry: Mapping[str, Any], path: Path_, ident: str | None, who: str, qtype: str | None
) -> tuple[Option, ...] | None:
    opath: Path_ = (*path, "options")
    has_options = qtype in ("checklist", "choice")
    if "options" not in entry:
        if has_options:
            check.add(path, ident, f"{who}a {qtype} question needs options ([[questions.options]] tables)")
            return None
        return ()
    raw = entry["options"]
    if qtype is not None and not has_options:
        check.add(opath, ident, f"{who}a {qtype} question has no options; remove them or change the type")
        return None
    if not isinstance(raw, list | tuple):
        check.add(
            opath, ident, f"{who}options must be a list ([[questions.options]] tables), not {_kind(raw)}"
        )
        return None
    minimum = 2 if qtype == "choice" else 1
    if len(raw) < minimum:
        check.add(opath, ident, f"{who}a {qtype} question needs at least {minimum} option(s)")
        return None
    options: list[Option] = []
    seen: dict[str, Path_] = {}
    ok = True
    for position, item in enumerate(raw, start=1):
        item_path: Path_ = (*opath, position - 1)
        prefix = who.removesuffix(": ")
        option, oid, owho = _entry_id(
            check, item, item_path, f"{prefix}, option", position, "hach_dich", seen
        )
        if option is None or oid is None:
            ok = False
            continue
        check.keys(option, _OPTION_KEYS, item_path, oid, owho)
        if "text" not in option:
            check.add(item_path, oid, f"{owho}has no 'text'")
            ok = False
            continue
        text = check.text(option["text"], (*item_path, "text"), oid, owho, "text")
        if text is None:
            ok = False
            continue
        options.append(Option(id=oid, text=text))
    return tuple(options) if ok else None


def _check_usage(check: _Checker, groups: Iterable[Group], questions: Sequence[Question]) -> None:
    """A group no question names is almost always a typo; its index would stay empty forever."""
    if check.errors:
        return
    used = {g for q in questions for g in q.groups}
    for position, group in enumerate(groups):
        if group.id not in used:
            check.add(("groups", position), group.id, f"group '{group.id}': no question is in this group")


class _LineMap:
    """Best-effort line numbers for paths like ("questions", 3, "text", "vi") in a valid TOML text.

    Tracks table headers (`[a.b]`, `[[a.b]]` with their array indexes), dotted keys, and the
    elements of arrays that span lines; a path gets the line of its longest known prefix. The text is
    scanned on the first question only: a good file never pays for it.
    """

    _BARE = re.compile(r"[A-Za-z0-9_-]+")

    def __init__(self, text: str) -> None:
        self.lines: dict[Path_, int] = {}
        self._counts: dict[Path_, int] = {}
        self._text: str | None = text

    def line_of(self, path: Path_) -> int | None:
        if self._text is not None:
            text, self._text = self._text, None
            self._scan(text)
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def _record(self, path: Path_, line: int, *, exact: bool = False) -> None:
        for end in range(1, len(path) + 1):
            self.lines.setdefault(path[:end], line)
        if exact:
            self.lines[path] = line

    def _scan(self, text: str) -> None:
        table: Path_ = ()
        state = _ValueState()
        for number, line in enumerate(text.splitlines(), start=1):
            if state.busy:
                state.scan(line, 0, number, self)
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("["):
                header = self._header(stripped, number)
                if header is not None:
                    table = header
                continue
            keys, end = self._key(line, 0)
            if keys is None or end >= len(line) or line[end] != "=":
                continue
            path = (*table, *keys)
            self._record(path, number, exact=True)
            state.start(path)
            state.scan(line, end + 1, number, self)

    def _header(self, stripped: str, number: int) -> Path_ | None:
        is_array = stripped.startswith("[[")
        keys, _ = self._key(stripped, 2 if is_array else 1)
        if not keys:
            return None
        concrete: list[str | int] = []
        for i, name in enumerate(keys):
            concrete.append(name)
            last = i == len(keys) - 1
            key = tuple(concrete)
            if last and is_array:
                index = self._counts.get(key, 0)
                self._counts[key] = index + 1
                concrete.append(index)
            elif key in self._counts:
                concrete.append(self._counts[key] - 1)
        path = tuple(concrete)
        self._record(path, number, exact=True)
        return path

    def _key(self, line: str, pos: int) -> tuple[tuple[str, ...] | None, int]:
        """Parse a dotted key at `pos`; returns the parts and the position after it and its spaces."""
        parts: list[str] = []
        n = len(line)
        while True:
            while pos < n and line[pos] in " \t":
                pos += 1
            if pos >= n:
                return None, pos
            if line[pos] in "\"'":
                quote = line[pos]
                close = line.find(quote, pos + 1)
                while quote == '"' and close > 0 and line[close - 1] == "\\":
                    close = line.find(quote, close + 1)
                if close < 0:
                    return None, pos
                part = line[pos + 1 : close]
                if quote == '"':
                    part = _unescape(part)
                parts.append(_nfc(part))
                pos = close + 1
            else:
                match = self._BARE.match(line, pos)
                if not match:
                    return None, pos
                parts.append(match.group(0))
                pos = match.end()
            while pos < n and line[pos] in " \t":
                pos += 1
            if pos < n and line[pos] == ".":
                pos += 1
                continue
            return tuple(parts), pos


class _ValueState:
    """Follows a value across lines: brackets, strings and multi-line strings."""

    def __init__(self) -> None:
        self.path: Path_ = ()
        self.depth = 0
        self.element = 0
        self.multiline: str | None = None
        self.is_array = False

    @property
    def busy(self) -> bool:
        return self.depth > 0 or self.multiline is not None

    def start(self, path: Path_) -> None:
        self.path = path
        self.depth = 0
        self.element = 0
        self.multiline = None
        self.is_array = False

    def scan(self, line: str, pos: int, number: int, lines: _LineMap) -> None:
        n = len(line)
        if self.multiline is not None:
            close = line.find(self.multiline, pos)
            if close < 0:
                return
            pos = close + 3
            self.multiline = None
        while pos < n:
            char = line[pos]
            if char == "#":
                return
            if char in "\"'":
                triple = char * 3
                if line.startswith(triple, pos):
                    close = line.find(triple, pos + 3)
                    if close < 0:
                        self.multiline = triple
                        return
                    pos = close + 3
                    continue
                pos = self._skip_string(line, pos, char)
                continue
            if char in "[{":
                if self.depth == 0:
                    self.is_array = char == "["
                elif self.depth == 1 and self.is_array:
                    lines._record((*self.path, self.element), number, exact=True)
                self.depth += 1
            elif char in "]}":
                self.depth = max(0, self.depth - 1)
            elif char == "," and self.depth == 1 and self.is_array:
                self.element += 1
            pos += 1

    @staticmethod
    def _skip_string(line: str, pos: int, quote: str) -> int:
        i = pos + 1
        while i < len(line):
            if quote == '"' and line[i] == "\\":
                i += 2
                continue
            if line[i] == quote:
                return i + 1
            i += 1
        return len(line)


def _unescape(part: str) -> str:
    try:
        value = json.loads(f'"{part}"')
    except ValueError:
        return part
    return value if isinstance(value, str) else part
