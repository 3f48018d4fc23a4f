"""Enrolment that survives a lost reply: the install id a code was first spent by (sync-protocol.md).

Revision ID: 0007_install_id
Revises: 0006_device_ledger
Create Date: 2026-12-04 19:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_install_id"
down_revision: str | Sequence[str] | None = "0006_device_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("enrolment_code", sa.Column("install_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute('ALTER TABLE enrolment_code DROP COLUMN "install_id"')
    else:
        op.drop_column("enrolment_code", "install_id")
