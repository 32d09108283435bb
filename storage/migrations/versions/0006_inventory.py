"""Inventory: stored findings per (account, region, kind) target, with scan claims.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_targets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("extras", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stale", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("account", "region", "kind", name="uq_inventory_target"),
    )


def downgrade() -> None:
    op.drop_table("inventory_targets")
