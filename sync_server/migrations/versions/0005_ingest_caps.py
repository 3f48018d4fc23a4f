"""Ingest caps: the size of each audited item, items past the daily audit cap, a health probe table.

Revision ID: 0005_ingest_caps
Revises: 0004_unit_official_names
Create Date: 2026-12-04 18:00:00

`raw` of the quarantine and conflict tables keeps at most the first 64 KiB of an item; `raw_size`
is the item's full size in bytes. `device.audit_dropped` counts refused items past the cap of audit
rows per device per local day (answered, not kept). `health_probe` is written, then rolled back,
by `/healthz` to learn whether the database can store.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_ingest_caps"
down_revision: str | Sequence[str] | None = "0004_unit_official_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("response_quarantine", "response_conflict"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("raw_size", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("device") as batch_op:
        batch_op.add_column(sa.Column("audit_dropped", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "health_probe",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pad", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("health_probe")
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy of `device` would break its foreign keys.
    op.execute("ALTER TABLE device DROP COLUMN audit_dropped")
    for table in ("response_conflict", "response_quarantine"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN raw_size")
