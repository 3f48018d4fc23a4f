"""The device ledger: an index to read one device's seqs in order, and the ballots a device reports lost.

Revision ID: 0006_device_ledger
Revises: 0005_ingest_caps
Create Date: 2026-12-04 19:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_device_ledger"
down_revision: str | Sequence[str] | None = "0005_ingest_caps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("device", sa.Column("ballots_lost", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index("ix_response_device_seq", "response", ["device_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_response_device_seq", table_name="response")
    if op.get_bind().dialect.name == "sqlite":
        op.execute('ALTER TABLE device DROP COLUMN "ballots_lost"')
    else:
        op.drop_column("device", "ballots_lost")
