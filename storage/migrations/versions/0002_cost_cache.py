"""The /cost cache: daily Cost Explorer results per query, and forecasts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cost_days",
        sa.Column("slice_key", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=True),
    )
    op.create_table(
        "cost_rows",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("slice_key", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key1", sa.String(512), nullable=False),
        sa.Column("key2", sa.String(512), nullable=False),
        sa.Column("amount", sa.String(64), nullable=False),
    )
    op.create_index("ix_cost_rows_slice_day", "cost_rows", ["slice_key", "day"])
    op.create_table(
        "cost_forecasts",
        sa.Column("forecast_key", sa.String(64), primary_key=True),
        sa.Column("made_on", sa.Date(), primary_key=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.String(64), nullable=True),
        sa.Column("currency", sa.String(8), nullable=True),
        sa.Column("note", sa.String(512), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cost_forecasts")
    op.drop_index("ix_cost_rows_slice_day", table_name="cost_rows")
    op.drop_table("cost_rows")
    op.drop_table("cost_days")
