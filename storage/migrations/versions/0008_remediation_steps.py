"""Crash-safe remediation: step events, execution leases, a health-probe table.

Every AWS step of a cleanup is written to the audit log before it is tried
(`step_started`, with its idempotency token) and after (`step_done` / `step_failed`);
a recovery pass records `reconciled`. Requests carry the lease of the process executing
them, so two replicas reconcile an interrupted request once. `health_probe` is the row
`/healthz` writes to prove the database takes writes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_OLD = (
    "requested",
    "approved",
    "rejected",
    "refused",
    "executed",
    "failed",
    "skipped",
    "expired",
    "restored",
    "restore_failed",
)
_NEW = (*_OLD, "step_started", "step_done", "step_failed", "reconciled", "restore_started")
_COLUMNS = (
    "id, at, request_id, status, actor, resource_id, resource_type, action, region, "
    "account, requested_by, decided_by, monthly_saving, before, result, detail"
)


def _check(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def _sqlite_events_table(name: str, statuses: tuple[str, ...]) -> str:
    return f"""
CREATE TABLE {name} (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at DATETIME NOT NULL,
    request_id INTEGER REFERENCES cleanup_requests (id),
    status VARCHAR(16) NOT NULL,
    actor VARCHAR(32) NOT NULL,
    resource_id VARCHAR(512) NOT NULL,
    resource_type VARCHAR(64) NOT NULL,
    action VARCHAR(64) NOT NULL,
    region VARCHAR(32) NOT NULL,
    account VARCHAR(32) NOT NULL,
    requested_by VARCHAR(32),
    decided_by VARCHAR(32),
    monthly_saving NUMERIC(14, 2) NOT NULL,
    before JSON NOT NULL,
    result TEXT NOT NULL,
    detail JSON NOT NULL,
    CONSTRAINT ck_events_status CHECK ({_check(statuses)})
)"""


def _set_statuses(statuses: tuple[str, ...]) -> None:
    """Widen (or narrow) the CHECK on remediation_events.status, keeping every row."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE remediation_events DROP CONSTRAINT ck_events_status")
        op.execute(
            f"ALTER TABLE remediation_events ADD CONSTRAINT ck_events_status "
            f"CHECK ({_check(statuses)})"
        )
        return
    # SQLite cannot alter a CHECK: rebuild the table (rows copied, ids kept), then put
    # back its indexes and the append-only triggers.
    op.execute(_sqlite_events_table("remediation_events_new", statuses))
    op.execute(
        f"INSERT INTO remediation_events_new ({_COLUMNS}) SELECT {_COLUMNS} FROM remediation_events"
    )
    op.execute("DROP TABLE remediation_events")
    op.execute("ALTER TABLE remediation_events_new RENAME TO remediation_events")
    op.create_index("ix_remediation_events_at", "remediation_events", ["at"])
    op.create_index("ix_remediation_events_request_id", "remediation_events", ["request_id"])
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER remediation_events_no_{operation.lower()} "
            f"BEFORE {operation} ON remediation_events "
            "BEGIN SELECT RAISE(ABORT, 'remediation_events is append-only'); END"
        )


def upgrade() -> None:
    with op.batch_alter_table("cleanup_requests") as batch:
        batch.add_column(sa.Column("run_key", sa.String(32), nullable=True))
        batch.add_column(sa.Column("step", sa.String(32), nullable=True))
        batch.add_column(sa.Column("lease_owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    _set_statuses(_NEW)
    op.create_table(
        "health_probe",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("writer", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("health_probe")
    _set_statuses(_OLD)
    with op.batch_alter_table("cleanup_requests") as batch:
        for column in ("lease_until", "lease_owner", "step", "run_key"):
            batch.drop_column(column)
