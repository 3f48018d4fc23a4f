"""Cases (comments, alert ballots, rule alerts) with their history, alert rules and their counters,
and the "when and where" roll-ups (hour of day per day, counter per day).

Revision ID: 0012_cases
Revises: 0011_reports_mail
Create Date: 2026-12-07 23:55:00

Every stored comment and alert ballot becomes a case (topics matched with the taxonomy of
surveys/taxonomy/topics.toml); an acknowledged alert or a comment marked handled starts as
"đã xử lý" with that step in its history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012_cases"
down_revision: str | Sequence[str] | None = "0011_reports_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> Any:
    from sync_server.models import UtcDateTime

    return UtcDateTime()


def upgrade() -> None:
    op.create_table(
        "alert_rule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("window_min", sa.Integer(), nullable=True),
        sa.Column("min_answers", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_alert_rule_unit_id", "alert_rule", ["unit_id"])
    op.create_table(
        "case_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
        sa.Column("response_id", sa.String(length=36), sa.ForeignKey("response.id"), nullable=True),
        sa.Column("rule_id", sa.Integer(), sa.ForeignKey("alert_rule.id"), nullable=True),
        sa.Column("window_key", sa.String(length=40), nullable=True),
        sa.Column("opened_at", _utc(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("topics", sa.String(length=400), nullable=False),
        sa.Column("reasons", sa.String(length=400), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("folded", sa.Text(), nullable=False, server_default=""),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.UniqueConstraint("kind", "response_id", name="uq_case_ballot"),
        sa.UniqueConstraint("rule_id", "window_key", name="uq_case_rule_window"),
    )
    op.create_index("ix_case_unit_kind_day", "case_item", ["unit_id", "kind", "day", "opened_at"])
    op.create_index("ix_case_kind_state", "case_item", ["kind", "state"])
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_item.id"), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
    )
    op.create_index("ix_case_event_case_id", "case_event", ["case_id"])
    op.create_table(
        "rule_window_count",
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), primary_key=True),
        sa.Column("minute", _utc(), primary_key=True),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("unhappy", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "rollup_hour",
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("hour", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "rollup_device",
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), primary_key=True),
        sa.Column("device_id", sa.String(length=36), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    from sync_server.alert_rules import backfill_cases, backfill_when

    backfill_cases(op.get_bind())
    backfill_when(op.get_bind())


def downgrade() -> None:
    op.drop_table("rollup_device")
    op.drop_table("rollup_hour")
    op.drop_table("rule_window_count")
    op.drop_index("ix_case_event_case_id", table_name="case_event")
    op.drop_table("case_event")
    op.drop_index("ix_case_kind_state", table_name="case_item")
    op.drop_index("ix_case_unit_kind_day", table_name="case_item")
    op.drop_table("case_item")
    op.drop_index("ix_alert_rule_unit_id", table_name="alert_rule")
    op.drop_table("alert_rule")
