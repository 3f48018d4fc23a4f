"""Log-in failure limits kept in the database (shared by every process and both log-in doors).

Revision ID: 0008_login_attempts
Revises: 0007_install_id
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_login_attempts"
down_revision: str | Sequence[str] | None = "0007_install_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column("key", sa.String(length=255), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_attempt_window_end", "login_attempt", ["window_end"])


def downgrade() -> None:
    op.drop_index("ix_login_attempt_window_end", table_name="login_attempt")
    op.drop_table("login_attempt")
