"""Anomaly lifecycle: active / ended / withdrawn, the impact last announced, the deviation kind.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("anomalies") as batch:
        batch.add_column(sa.Column("phase", sa.String(16), nullable=False, server_default="active"))
        batch.add_column(sa.Column("announced_impact", sa.Numeric(14, 2), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="day"))
        batch.add_column(sa.Column("phase_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("anomalies") as batch:
        batch.drop_column("phase_at")
        batch.drop_column("kind")
        batch.drop_column("announced_impact")
        batch.drop_column("phase")
