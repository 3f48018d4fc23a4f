"""Phone ballots: the kiosk's token key, the ballot's source, spent tokens, the unit's channels.

Revision ID: 0009_web_ballots
Revises: 0008_login_attempts
Create Date: 2026-12-05 12:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_web_ballots"
down_revision: str | Sequence[str] | None = "0008_login_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANNELS = (("hotline", 100), ("email", 200), ("zalo", 200), ("facebook", 200), ("feedback_box", 200))


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): instant even with millions of ballots.
    op.add_column("device", sa.Column("ballot_key", sa.String(length=64), nullable=True))
    op.add_column("device", sa.Column("kind", sa.String(length=8), nullable=False, server_default="kiosk"))
    op.add_column(
        "response", sa.Column("source", sa.String(length=8), nullable=False, server_default="kiosk")
    )
    op.add_column(
        "unit", sa.Column("web_ballots_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    for name, size in _CHANNELS:
        op.add_column("unit", sa.Column(name, sa.String(length=size), nullable=True))
    op.create_table(
        "web_token_use",
        sa.Column("issuer", sa.String(length=64), primary_key=True),
        sa.Column("counter", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
        sa.Column("dossier_hash", sa.String(length=64), nullable=True),
        sa.Column("used_on", sa.Date(), nullable=False),
        sa.UniqueConstraint("unit_id", "dossier_hash", name="uq_web_token_dossier"),
    )
    op.create_index("ix_web_token_use_unit_id", "web_token_use", ["unit_id"])


def downgrade() -> None:
    op.drop_index("ix_web_token_use_unit_id", table_name="web_token_use")
    op.drop_table("web_token_use")
    for table, names in (
        ("unit", [name for name, _size in _CHANNELS] + ["web_ballots_enabled"]),
        ("response", ["source"]),
        ("device", ["kind", "ballot_key"]),
    ):
        for name in names:
            op.drop_column(table, name)
