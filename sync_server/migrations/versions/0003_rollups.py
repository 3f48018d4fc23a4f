"""Roll-up tallies without the officer, per unit and each ancestor, per month and per local day.

Revision ID: 0003_rollups
Revises: 0002_dashboard
Create Date: 2026-11-25 18:00:00

The month roll-ups are filled from the per-officer tallies (one INSERT … SELECT each); the day
roll-ups from the stored ballots (the tallies have no day), unit by unit so memory stays small.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003_rollups"
down_revision: str | Sequence[str] | None = "0002_dashboard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NO_ROWID = {"sqlite_with_rowid": False}

# (descendant, ancestor) for every unit and each unit above it, itself included.
_CLOSURE = """WITH RECURSIVE closure (unit_id, ancestor_id) AS (
    SELECT id, id FROM unit
    UNION ALL
    SELECT closure.unit_id, unit.parent_id FROM closure JOIN unit ON unit.id = closure.ancestor_id
    WHERE unit.parent_id IS NOT NULL
)"""


def _key(*names: str) -> list[sa.Column[Any]]:
    types: dict[str, Any] = {
        "unit_id": sa.Integer(),
        "survey_id": sa.String(length=100),
        "month": sa.String(length=7),
        "day": sa.Date(),
        "question_id": sa.String(length=100),
        "value": sa.String(length=100),
        "flagged": sa.Boolean(),
    }
    return [sa.Column(name, types[name], nullable=False) for name in names]


def _create(name: str, keys: Sequence[str]) -> None:
    op.create_table(
        name,
        *_key(*keys),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint(*keys),
        **_NO_ROWID,
    )


def upgrade() -> None:
    month_answers = ("unit_id", "survey_id", "month", "question_id", "value", "flagged")
    month_ballots = ("unit_id", "survey_id", "month", "flagged")
    day_answers = ("unit_id", "survey_id", "day", "question_id", "value", "flagged")
    day_ballots = ("unit_id", "survey_id", "day", "flagged")
    _create("rollup_tally", month_answers)
    _create("rollup_ballots", month_ballots)
    _create("rollup_day_tally", day_answers)
    _create("rollup_day_ballots", day_ballots)

    op.execute(
        f"""INSERT INTO rollup_tally (unit_id, survey_id, month, question_id, value, flagged, count)
        {_CLOSURE}
        SELECT closure.ancestor_id, t.survey_id, t.month, t.question_id, t.value, t.flagged, sum(t.count)
        FROM tally t JOIN closure ON closure.unit_id = t.unit_id
        GROUP BY closure.ancestor_id, t.survey_id, t.month, t.question_id, t.value, t.flagged"""
    )
    op.execute(
        f"""INSERT INTO rollup_ballots (unit_id, survey_id, month, flagged, count)
        {_CLOSURE}
        SELECT closure.ancestor_id, t.survey_id, t.month, t.flagged, sum(t.count)
        FROM tally_ballots t JOIN closure ON closure.unit_id = t.unit_id
        GROUP BY closure.ancestor_id, t.survey_id, t.month, t.flagged"""
    )
    _fill_days(op.get_bind())


_DAY_ANSWER_KEYS = ("unit_id", "survey_id", "day", "question_id", "value", "flagged")
_DAY_BALLOT_KEYS = ("unit_id", "survey_id", "day", "flagged")


def _fill_days(conn: sa.Connection) -> None:
    """Day roll-ups from the stored ballots, one unit at a time, added to the unit and its ancestors."""
    types: dict[tuple[str, str], dict[str, str]] = {}
    for survey_id, version, body in conn.execute(
        sa.text("SELECT survey_id, version, json FROM survey_version")
    ):
        data = json.loads(body) if isinstance(body, str) else body
        types[(survey_id, version)] = {q["id"]: q["type"] for q in data.get("questions", [])}
    parents: dict[int, int | None] = {
        uid: parent for uid, parent in conn.execute(sa.text("SELECT id, parent_id FROM unit"))
    }
    response = sa.table(
        "response",
        sa.column("unit_id", sa.Integer()),
        sa.column("survey_id", sa.String()),
        sa.column("survey_version", sa.String()),
        sa.column("bucket_day", sa.Date()),
        sa.column("answers", sa.JSON()),
        sa.column("misuse", sa.Boolean()),
    )
    upsert = {
        "rollup_day_tally": sa.text(
            "INSERT INTO rollup_day_tally (unit_id, survey_id, day, question_id, value, flagged, count) "
            "VALUES (:unit_id, :survey_id, :day, :question_id, :value, :flagged, :count) "
            "ON CONFLICT (unit_id, survey_id, day, question_id, value, flagged) "
            "DO UPDATE SET count = rollup_day_tally.count + excluded.count"
        ).bindparams(sa.bindparam("day", type_=sa.Date())),
        "rollup_day_ballots": sa.text(
            "INSERT INTO rollup_day_ballots (unit_id, survey_id, day, flagged, count) "
            "VALUES (:unit_id, :survey_id, :day, :flagged, :count) "
            "ON CONFLICT (unit_id, survey_id, day, flagged) "
            "DO UPDATE SET count = rollup_day_ballots.count + excluded.count"
        ).bindparams(sa.bindparam("day", type_=sa.Date())),
    }
    unit_ids = sorted(uid for (uid,) in conn.execute(sa.text("SELECT DISTINCT unit_id FROM response")))
    for unit_id in unit_ids:
        answers: Counter[tuple[str, Any, str, str, bool]] = Counter()
        ballots: Counter[tuple[str, Any, bool]] = Counter()
        query = sa.select(
            response.c.survey_id,
            response.c.survey_version,
            response.c.bucket_day,
            response.c.answers,
            response.c.misuse,
        ).where(response.c.unit_id == unit_id)
        for survey_id, version, day, given, misuse in conn.execute(query):
            flagged = bool(misuse)
            ballots[(survey_id, day, flagged)] += 1
            kinds = types.get((survey_id, version), {})
            for qid, value in given.items():
                kind = kinds.get(qid)
                if value is None:
                    continue
                if kind == "rating5":
                    answers[(survey_id, day, qid, str(value), flagged)] += 1
                elif kind == "checklist":
                    answers[(survey_id, day, qid, "__answered__", flagged)] += 1
                    if not value:
                        answers[(survey_id, day, qid, "__empty__", flagged)] += 1
                    for option in value:
                        answers[(survey_id, day, qid, option, flagged)] += 1
        chain: list[int] = []
        at: int | None = unit_id
        while at is not None and at not in chain:
            chain.append(at)
            at = parents.get(at)
        for target in chain:
            if answers:
                conn.execute(
                    upsert["rollup_day_tally"],
                    [
                        dict(zip(_DAY_ANSWER_KEYS, (target, *key), strict=True)) | {"count": n}
                        for key, n in answers.items()
                    ],
                )
            if ballots:
                conn.execute(
                    upsert["rollup_day_ballots"],
                    [
                        dict(zip(_DAY_BALLOT_KEYS, (target, *key), strict=True)) | {"count": n}
                        for key, n in ballots.items()
                    ],
                )


def downgrade() -> None:
    for name in ("rollup_day_ballots", "rollup_day_tally", "rollup_ballots", "rollup_tally"):
        op.drop_table(name)
