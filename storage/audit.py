"""The audit log: every step the bot takes on someone's behalf."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEvent


def record(
    db_session: Session, *, actor: str, action: str, subject: str = "", **detail: Any
) -> AuditEvent:
    """Add one audit event (committed with the caller's session)."""
    event = AuditEvent(actor=actor, action=action, subject=subject, detail=detail)
    db_session.add(event)
    db_session.flush()
    return event


def recent(db_session: Session, *, limit: int = 50, subject: str | None = None) -> list[AuditEvent]:
    """The newest audit events first, optionally for one subject."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    return list(db_session.scalars(query))
