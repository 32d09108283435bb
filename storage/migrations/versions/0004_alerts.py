"""Alerts: clock leases, posted alerts (dedupe), anomalies and their feedback.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_locks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "posted_alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32), nullable=True),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.UniqueConstraint("dedupe_key", name="uq_posted_alerts_dedupe_key"),
    )
    op.create_index("ix_posted_alerts_kind", "posted_alerts", ["kind"])
    op.create_table(
        "anomalies",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_key", sa.String(255), nullable=False),
        sa.Column("series", sa.String(255), nullable=False),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("service", sa.String(128), nullable=False),
        sa.Column("account", sa.String(32), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("expected", sa.Numeric(14, 2), nullable=False),
        sa.Column("actual", sa.Numeric(14, 2), nullable=False),
        sa.Column("impact", sa.Numeric(14, 2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("feedback_by", sa.String(32), nullable=True),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("alert_key", name="uq_anomalies_alert_key"),
    )
    op.create_index("ix_anomalies_series", "anomalies", ["series"])


def downgrade() -> None:
    op.drop_table("anomalies")
    op.drop_table("posted_alerts")
    op.drop_table("job_locks")
