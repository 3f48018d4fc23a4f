"""The tallying kernel: what an answer must look like, and how answers become tally counts.

One owner for both (docs/architecture.md, Seam 2): ingest checks ballots with `SurveyRules` and counts
them with `count_answers`; the edge-day queries and `rebuild_rollups` count stored ballots the same way.

    rules = rules_for(survey)                    # from the loader's Survey (cached by content hash)
    counts = count_answers(answer_sets, rules.types)   # {(question_id, value): n}

A rating5 answer counts under its value "1".."5" (null answers are not counted); a checklist answer
once under "__answered__", once under "__empty__" when no option is ticked, and once under each option
ticked. Other question types (choice, text) are not tallied.

>>> from surveys.loader import load_survey, default_survey_path
>>> rules = rules_for(load_survey(default_survey_path()))
>>> sorted(count_answers([{"tong_the": 5, "nam_khong": []}, {"tong_the": 5}], rules.types).items())
[(('nam_khong', '__answered__'), 1), (('nam_khong', '__empty__'), 1), (('tong_the', '5'), 2)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from surveys.loader import OVERALL_ID, Survey, parse_survey

from .models import SurveyVersion

__all__ = ["ANSWERED", "EMPTY", "RATING_TEXT", "SurveyRules", "count_answers", "rules_for", "stored_rules"]

ANSWERED = "__answered__"
EMPTY = "__empty__"
# A rating's tally value, as the tables hold it.
RATING_TEXT = {1: "1", 2: "2", 3: "3", 4: "4", 5: "5"}


@dataclass(frozen=True)
class SurveyRules:
    """What an answer must look like, per question, for one survey version."""

    types: dict[str, str]
    options: dict[str, frozenset[str]]
    required: frozenset[str]

    @classmethod
    def from_survey(cls, survey: Survey) -> SurveyRules:
        """Rules from the loader's Survey: the overall question is always required."""
        return cls(
            types={q.id: q.type for q in survey.questions},
            options={q.id: frozenset(o.id for o in q.options) for q in survey.questions},
            required=frozenset(q.id for q in survey.questions if q.required or q.id == OVERALL_ID),
        )


_RULES: dict[str, SurveyRules] = {}


def rules_for(survey: Survey) -> SurveyRules:
    """The rules of a survey, built once per content hash."""
    rules = _RULES.get(survey.content_hash)
    if rules is None:
        rules = _RULES[survey.content_hash] = SurveyRules.from_survey(survey)
    return rules


def count_answers(
    answer_sets: Iterable[Mapping[str, Any]],
    types: Mapping[str, str],
    counts: dict[tuple[str, str], int] | None = None,
) -> dict[tuple[str, str], int]:
    """Add the tally counts of these answer sets (checked ballots' `answers`) to `counts`; return it."""
    if counts is None:
        counts = {}
    get = counts.get
    text = RATING_TEXT
    kind_of = types.get
    for answers in answer_sets:
        for qid, value in answers.items():
            if value is None:
                continue
            kind = kind_of(qid)
            if kind == "rating5":
                key = (qid, text[value])
                counts[key] = get(key, 0) + 1
            elif kind == "checklist":
                key = (qid, ANSWERED)
                counts[key] = get(key, 0) + 1
                if not value:
                    key = (qid, EMPTY)
                    counts[key] = get(key, 0) + 1
                for option in value:
                    key = (qid, option)
                    counts[key] = get(key, 0) + 1
    return counts


def stored_rules(session: Session) -> dict[tuple[str, str], SurveyRules]:
    """The rules of every stored survey version, keyed (survey_id, version); each version's JSON is
    read and parsed once per content hash."""
    rows = session.execute(
        select(col(SurveyVersion.survey_id), col(SurveyVersion.version), col(SurveyVersion.content_hash))
    ).all()
    out: dict[tuple[str, str], SurveyRules] = {}
    for survey_id, version, content_hash in rows:
        rules = _RULES.get(content_hash)
        if rules is None:
            data = session.execute(
                select(col(SurveyVersion.json_)).where(
                    col(SurveyVersion.survey_id) == survey_id, col(SurveyVersion.version) == version
                )
            ).scalar_one()
            rules = _RULES[content_hash] = SurveyRules.from_survey(
                parse_survey(data, source=f"{survey_id} {version}")
            )
        out[(survey_id, version)] = rules
    return out
