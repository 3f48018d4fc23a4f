"""Reports: a unit's period basis (calendar or NĐ 09/2019 cut-off), its report e-mail recipients, the
record of each closed period's report sent by the nightly job, and the register of apology letters.

Revision ID: 0011_reports_mail
Revises: 0010_officer_years
Create Date: 2026-12-08 00:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_reports_mail"
down_revision: str | Sequence[str] | None = "0010_officer_years"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("unit", sa.Column("report_periods", sa.String(length=8), nullable=True))
    op.add_column("unit", sa.Column("report_emails", sa.Text(), nullable=True))
    op.create_table(
        "report_mailing",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
        sa.Column("period_key", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("unit_id", "period_key", name="uq_report_mailing_unit_period"),
    )
    op.create_index("ix_report_mailing_unit_id", "report_mailing", ["unit_id"])
    op.create_table(
        "apology_letter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("dossier_code", sa.String(length=100), nullable=False),
        sa.Column("procedure", sa.String(length=500), nullable=False),
        sa.Column("applicant", sa.String(length=300), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("promised_on", sa.Date(), nullable=False),
        sa.Column("new_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("unit_id", "year", "number", name="uq_apology_letter_number"),
    )
    op.create_index("ix_apology_letter_unit_id", "apology_letter", ["unit_id"])


def downgrade() -> None:
    op.drop_index("ix_apology_letter_unit_id", table_name="apology_letter")
    op.drop_table("apology_letter")
    op.drop_index("ix_report_mailing_unit_id", table_name="report_mailing")
    op.drop_table("report_mailing")
    for name in ("report_emails", "report_periods"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f'ALTER TABLE unit DROP COLUMN "{name}"')
        else:
            op.drop_column("unit", name)
