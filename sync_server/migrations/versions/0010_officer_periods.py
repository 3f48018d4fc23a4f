"""The officers' tallies per quarter and per year, kept at ingest (the province's figures by officer).

Revision ID: 0010_officer_periods
Revises: 0009_web_ballots
Create Date: 2026-12-08 00:20:00

Filled from the per-officer month tallies (one INSERT … SELECT per table and period).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010_officer_periods"
down_revision: str | Sequence[str] | None = "0009_web_ballots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TYPES: dict[str, Any] = {
    "unit_id": sa.Integer(),
    "survey_id": sa.String(length=100),
    "period": sa.String(length=7),
    "staff_key": sa.String(length=64),
    "question_id": sa.String(length=100),
    "value": sa.String(length=100),
    "flagged": sa.Boolean(),
}
_QUARTER = "substr(t.month, 1, 4) || '-Q' || CAST((CAST(substr(t.month, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)"
_YEAR = "substr(t.month, 1, 4)"


def _create(name: str, keys: Sequence[str]) -> None:
    op.create_table(
        name,
        *[sa.Column(key, _TYPES[key], nullable=False) for key in keys],
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint(*keys),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    answers = ("unit_id", "survey_id", "period", "staff_key", "question_id", "value", "flagged")
    _create("tally_period", answers)
    _create("tally_period_ballots", ("unit_id", "survey_id", "period", "staff_key", "flagged"))
    for period in (_QUARTER, _YEAR):
        op.execute(
            f"""INSERT INTO tally_period
            (unit_id, survey_id, period, staff_key, question_id, value, flagged, count)
            SELECT t.unit_id, t.survey_id, {period}, t.staff_key, t.question_id, t.value, t.flagged,
            sum(t.count)
            FROM tally t
            GROUP BY t.unit_id, t.survey_id, {period}, t.staff_key, t.question_id, t.value, t.flagged"""
        )
        op.execute(
            f"""INSERT INTO tally_period_ballots (unit_id, survey_id, period, staff_key, flagged, count)
            SELECT t.unit_id, t.survey_id, {period}, t.staff_key, t.flagged, sum(t.count)
            FROM tally_ballots t
            GROUP BY t.unit_id, t.survey_id, {period}, t.staff_key, t.flagged"""
        )


def downgrade() -> None:
    op.drop_table("tally_period_ballots")
    op.drop_table("tally_period")
