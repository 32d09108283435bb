"""Cleanup requests (a state machine guarded by the database) and their append-only log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow

#: Every state a cleanup request can be in. Open states hold the resource.
REQUEST_STATES = ("pending", "approved", "executing", "executed", "failed", "rejected", "expired")
OPEN_STATES = ("pending", "approved", "executing")
RESTORE_STATES = ("available", "restoring", "restored", "failed")
#: Every event of the audit log.
EVENT_STATUSES = (
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
    # Write-ahead steps (migration 0008): written before / after each AWS call.
    "step_started",
    "step_done",
    "step_failed",
    "reconciled",
    "restore_started",
)
#: A request in one of these states is finished: nothing more happens to it in AWS.
TERMINAL_STATES = ("executed", "failed", "rejected", "expired")

_OPEN_SQL = "state IN ('pending', 'approved', 'executing')"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CleanupRequest(Base):
    """A request to clean up one resource. State only moves by conditional UPDATEs."""

    __tablename__ = "cleanup_requests"
    __table_args__ = (
        CheckConstraint(_in("state", REQUEST_STATES), name="ck_cleanup_requests_state"),
        CheckConstraint(
            "restore_state IS NULL OR " + _in("restore_state", RESTORE_STATES),
            name="ck_cleanup_requests_restore_state",
        ),
        # At most one open request per resource: a second "Request cleanup" click loses.
        Index(
            "uq_cleanup_requests_open_resource",
            "resource_id",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    resource_id: Mapped[str] = mapped_column(String(512))
    resource_type: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(256), nullable=True)
    monthly_saving: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    finding: Mapped[dict[str, Any]] = mapped_column(JSON)  # the resource before, as found
    requested_by: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[str] = mapped_column(Text, default="")
    #: Where the approval message and the requester's copy are (to update them later).
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    requester_channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    requester_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: Undo: what a restore needs (snapshot id, zone, type...), until when, and its state.
    restore: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    restore_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    restore_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    restored_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: Crash safety (migration 0008): the key idempotency tokens derive from, the step in
    #: progress, and the lease of the process executing it (reconciliation takes it over
    #: only once it has lapsed).
    run_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    step: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RemediationEvent(Base):
    """One line of the audit log. Append-only: no code updates or deletes these rows, and
    database triggers (added by migration 0003) refuse UPDATE and DELETE."""

    __tablename__ = "remediation_events"
    __table_args__ = (CheckConstraint(_in("status", EVENT_STATUSES), name="ck_events_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("cleanup_requests.id"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(32))  # who caused this event ("finops-bot": jobs)
    resource_id: Mapped[str] = mapped_column(String(512))
    resource_type: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    monthly_saving: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)  # the resource's state before
    result: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class HealthProbe(Base):
    """The one row `/healthz` writes to prove the database takes writes."""

    __tablename__ = "health_probe"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    writer: Mapped[str] = mapped_column(String(128))
