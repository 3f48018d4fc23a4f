"""A unit's official names and signature as printed on reports (reports.md): set by `unit set`.

Revision ID: 0004_unit_official_names
Revises: 0003_rollups
Create Date: 2026-12-04 18:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_unit_official_names"
down_revision: str | Sequence[str] | None = "0003_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("governing_body", 200),
    ("issuing_body", 200),
    ("place_name", 100),
    ("signer_name", 100),
    ("signer_title", 100),
    ("number_series", 40),
)


# Plain ADD/DROP COLUMN (SQLite ≥ 3.35 has both): a batch copy of `unit` would drop the table that
# staff, devices and responses point at, which SQLite's foreign keys refuse.


def upgrade() -> None:
    for name, length in COLUMNS:
        op.add_column("unit", sa.Column(name, sa.String(length=length), nullable=True))
    op.add_column("unit", sa.Column("deputy_signs", sa.Boolean(), nullable=True))
    op.add_column("unit", sa.Column("recipients", sa.Text(), nullable=True))


def downgrade() -> None:
    for name in ("recipients", "deputy_signs", *(n for n, _ in reversed(COLUMNS))):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f'ALTER TABLE unit DROP COLUMN "{name}"')
        else:
            op.drop_column("unit", name)
