"""The unit's opening hours, sent to its kiosks (issue 11).

Revision ID: 0015_opening_hours
Revises: 0012_cases
Create Date: 2026-12-08 00:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_opening_hours"
down_revision: str | Sequence[str] | None = "0012_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("unit", sa.Column("opening_hours", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("unit", "opening_hours")
