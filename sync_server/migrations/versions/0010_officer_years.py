"""The officers' tallies per year, kept at ingest (a province's year by officer).

Revision ID: 0010_officer_years
Revises: 0009_web_ballots
Create Date: 2026-12-08 00:20:00

Filled from the per-officer month tallies (one INSERT … SELECT per table).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010_officer_years"
down_revision: str | Sequence[str] | None = "0009_web_ballots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TYPES: dict[str, Any] = {
    "unit_id": sa.Integer(),
    "survey_id": sa.String(length=100),
    "year": sa.String(length=4),
    "staff_key": sa.String(length=64),
    "question_id": sa.String(length=100),
    "value": sa.String(length=100),
    "flagged": sa.Boolean(),
}


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
    _create("tally_year", ("unit_id", "survey_id", "year", "staff_key", "question_id", "value", "flagged"))
    _create("tally_year_ballots", ("unit_id", "survey_id", "year", "staff_key", "flagged"))
    op.execute(
        """INSERT INTO tally_year (unit_id, survey_id, year, staff_key, question_id, value, flagged, count)
        SELECT unit_id, survey_id, substr(month, 1, 4), staff_key, question_id, value, flagged, sum(count)
        FROM tally GROUP BY unit_id, survey_id, substr(month, 1, 4), staff_key, question_id, value, flagged"""
    )
    op.execute(
        """INSERT INTO tally_year_ballots (unit_id, survey_id, year, staff_key, flagged, count)
        SELECT unit_id, survey_id, substr(month, 1, 4), staff_key, flagged, sum(count)
        FROM tally_ballots GROUP BY unit_id, survey_id, substr(month, 1, 4), staff_key, flagged"""
    )


def downgrade() -> None:
    op.drop_table("tally_year_ballots")
    op.drop_table("tally_year")
