"""The audit log: every step the bot takes on someone's behalf.

Two tables hold it: `remediation_events` (cleanup requests, step by step) and
`audit_events` (everything else: budgets set, anomaly feedback, tag reminders...).
`bot.audit_export` shows both as one log. An event that could not be written because the
database refused writes is kept in memory (`defer`) and written by `flush_deferred` once
the database takes writes again (lost only if the process dies first; it is logged too).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import AuditEvent

log = logging.getLogger(__name__)

_deferred: list[dict[str, Any]] = []
_deferred_lock = threading.Lock()
#: At most this many deferred events are kept (oldest dropped, with a log line).
MAX_DEFERRED = 1000


def record(
    db_session: Session, *, actor: str, action: str, subject: str = "", **detail: Any
) -> AuditEvent:
    """Add one audit event (committed with the caller's session)."""
    event = AuditEvent(actor=actor, action=action, subject=subject, detail=detail)
    db_session.add(event)
    db_session.flush()
    return event


def defer(*, actor: str, action: str, subject: str = "", **detail: Any) -> None:
    """Keep an event the database could not take now; `flush_deferred` writes it later."""
    event = {
        "at": datetime.now(UTC),
        "actor": actor,
        "action": action,
        "subject": subject,
        "detail": {**detail, "deferred": True},
    }
    log.warning("audit event deferred (database refuses writes): %s", event)
    with _deferred_lock:
        _deferred.append(event)
        if len(_deferred) > MAX_DEFERRED:
            log.error("deferred audit event dropped: %s", _deferred.pop(0))


def deferred_count() -> int:
    """How many events wait for the database."""
    with _deferred_lock:
        return len(_deferred)


def flush_deferred(db: Database) -> int:
    """Write the deferred events in one transaction; how many (they stay queued if the
    database still refuses them)."""
    with _deferred_lock:
        pending = list(_deferred)
        _deferred.clear()
    if not pending:
        return 0
    try:
        with db.session() as db_session:
            for event in pending:
                db_session.add(AuditEvent(**event))
    except Exception:
        with _deferred_lock:
            _deferred[:0] = pending
        raise
    return len(pending)


def recent(db_session: Session, *, limit: int = 50, subject: str | None = None) -> list[AuditEvent]:
    """The newest audit events first, optionally for one subject."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    return list(db_session.scalars(query))
