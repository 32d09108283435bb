"""Cleanup requests and the append-only remediation audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_REQUEST_STATES = (
    "('pending', 'approved', 'executing', 'executed', 'failed', 'rejected', 'expired')"
)
_RESTORE_STATES = "('available', 'restoring', 'restored', 'failed')"
_EVENT_STATUSES = (
    "('requested', 'approved', 'rejected', 'refused', 'executed', 'failed', 'skipped', "
    "'expired', 'restored', 'restore_failed')"
)
_OPEN = "state IN ('pending', 'approved', 'executing')"

_PG_GUARD = """
CREATE OR REPLACE FUNCTION remediation_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'remediation_events is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "cleanup_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("resource_id", sa.String(512), nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("account", sa.String(32), nullable=False),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("owner", sa.String(256), nullable=True),
        sa.Column("monthly_saving", sa.Numeric(14, 2), nullable=False),
        sa.Column("finding", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("requester_channel", sa.String(32), nullable=True),
        sa.Column("requester_ts", sa.String(32), nullable=True),
        sa.Column("restore", sa.JSON(), nullable=True),
        sa.Column("restore_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("restore_state", sa.String(16), nullable=True),
        sa.Column("restored_by", sa.String(32), nullable=True),
        sa.CheckConstraint(f"state IN {_REQUEST_STATES}", name="ck_cleanup_requests_state"),
        sa.CheckConstraint(
            f"restore_state IS NULL OR restore_state IN {_RESTORE_STATES}",
            name="ck_cleanup_requests_restore_state",
        ),
    )
    op.create_index("ix_cleanup_requests_state", "cleanup_requests", ["state"])
    op.create_index("ix_cleanup_requests_expires_at", "cleanup_requests", ["expires_at"])
    op.create_index(
        "uq_cleanup_requests_open_resource",
        "cleanup_requests",
        ["resource_id"],
        unique=True,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )
    op.create_table(
        "remediation_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("cleanup_requests.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(512), nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("account", sa.String(32), nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("monthly_saving", sa.Numeric(14, 2), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.CheckConstraint(f"status IN {_EVENT_STATUSES}", name="ck_events_status"),
    )
    op.create_index("ix_remediation_events_at", "remediation_events", ["at"])
    op.create_index("ix_remediation_events_request_id", "remediation_events", ["request_id"])
    # Append-only, enforced by the database too: UPDATE and DELETE are refused.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD)
        op.execute(
            "CREATE TRIGGER remediation_events_append_only BEFORE UPDATE OR DELETE "
            "ON remediation_events FOR EACH ROW EXECUTE FUNCTION remediation_events_append_only()"
        )
    elif op.get_bind().dialect.name == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER remediation_events_no_{operation.lower()} "
                f"BEFORE {operation} ON remediation_events "
                "BEGIN SELECT RAISE(ABORT, 'remediation_events is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS remediation_events_append_only ON remediation_events")
        op.execute("DROP FUNCTION IF EXISTS remediation_events_append_only()")
    op.drop_table("remediation_events")
    op.drop_table("cleanup_requests")
