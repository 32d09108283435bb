"""The cleanup request state machine, kept in the database.

    pending ──approve──▶ approved ──▶ executing ──▶ executed | failed
       │ └──reject──▶ rejected              │ (step by step, each step in the log
       └──(ttl)──▶ expired                  │  before and after its AWS call)
                                            └─ held by a lease: a crashed executor's
                                               lease lapses and recovery takes over

Every move is one conditional UPDATE (`... WHERE id = :id AND state IN (:from)`); only the
caller whose UPDATE changed a row may go on. So double clicks, Slack retries, two
approvers at once and several replicas sharing PostgreSQL act once. A partial unique
index allows one open request per resource.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.orphans.model import Finding
from storage import outbox
from storage.models_remediation import OPEN_STATES, CleanupRequest, RemediationEvent

BOT_ACTOR = "finops-bot"


class AlreadyOpen(Exception):
    """The resource already has an open request."""

    def __init__(self, existing: CleanupRequest) -> None:
        super().__init__(f"request #{existing.id} is already {existing.state}")
        self.existing = existing


def create_request(
    db_session: Session, *, finding: Finding, requested_by: str, now: datetime, ttl: timedelta
) -> CleanupRequest:
    """Insert a pending request (and its `requested` event). AlreadyOpen if one exists."""
    assert finding.action is not None, "protected findings offer no cleanup"
    request = CleanupRequest(
        state="pending",
        resource_id=finding.resource_id,
        resource_type=finding.resource_type,
        kind=finding.kind,
        action=finding.action,
        region=finding.region,
        account=finding.account,
        team=finding.team,
        owner=finding.owner,
        monthly_saving=finding.monthly_cost,
        finding=finding.to_json(),
        requested_by=requested_by,
        requested_at=now,
        expires_at=now + ttl,
        result="",
    )
    try:
        with db_session.begin_nested():
            db_session.add(request)
            db_session.flush()
    except IntegrityError:
        existing = open_request_for(db_session, finding.resource_id)
        if existing is None:  # closed meanwhile: a genuine constraint problem
            raise
        raise AlreadyOpen(existing) from None
    append_event(db_session, request, "requested", actor=requested_by, now=now)
    return request


def open_request_for(db_session: Session, resource_id: str) -> CleanupRequest | None:
    """The open (pending/approved/executing) request for a resource, if any."""
    query = select(CleanupRequest).where(
        CleanupRequest.resource_id == resource_id, CleanupRequest.state.in_(OPEN_STATES)
    )
    return db_session.scalars(query).first()


def get_request(db_session: Session, request_id: int) -> CleanupRequest | None:
    """A request by id, read fresh from the database."""
    return db_session.get(CleanupRequest, request_id, populate_existing=True)


def transition(
    db_session: Session,
    request_id: int,
    *,
    from_states: tuple[str, ...],
    to: str,
    not_expired_at: datetime | None = None,
    **values: Any,
) -> bool:
    """Move a request to `to` if (and only if) it is in one of `from_states`.

    With `not_expired_at`, the move also requires `expires_at > not_expired_at`. Returns
    whether this caller made the move (exactly one concurrent caller can).
    """
    query = update(CleanupRequest).where(
        CleanupRequest.id == request_id, CleanupRequest.state.in_(from_states)
    )
    if not_expired_at is not None:
        query = query.where(CleanupRequest.expires_at > not_expired_at)
    result = db_session.execute(query.values(state=to, **values))
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def claim_execution(
    db_session: Session, request_id: int, *, owner: str, until: datetime, run_key: str
) -> bool:
    """`approved` → `executing`, holding the execution lease until `until`."""
    query = (
        update(CleanupRequest)
        .where(CleanupRequest.id == request_id, CleanupRequest.state == "approved")
        .values(
            state="executing",
            run_key=func.coalesce(CleanupRequest.run_key, run_key),
            lease_owner=owner,
            lease_until=until,
        )
        .execution_options(synchronize_session=False)
    )
    result = db_session.execute(query)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def take_over(
    db_session: Session, request_id: int, *, owner: str, now: datetime, until: datetime
) -> bool:
    """Take an `executing` request whose executor's lease has lapsed (it died)."""
    query = (
        update(CleanupRequest)
        .where(
            CleanupRequest.id == request_id,
            CleanupRequest.state == "executing",
            or_(CleanupRequest.lease_until.is_(None), CleanupRequest.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    result = db_session.execute(query)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def renew_lease(
    db_session: Session, request_id: int, *, owner: str, until: datetime, **values: Any
) -> bool:
    """Extend this executor's lease (and set `values`); False when it is no longer ours."""
    query = (
        update(CleanupRequest)
        .where(
            CleanupRequest.id == request_id,
            CleanupRequest.state == "executing",
            CleanupRequest.lease_owner == owner,
        )
        .values(lease_until=until, **values)
        .execution_options(synchronize_session=False)
    )
    result = db_session.execute(query)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def unfinished(db_session: Session, now: datetime) -> tuple[list[int], list[datetime]]:
    """Ids of requests to reconcile (approved, or executing with a lapsed lease), and the
    lease ends of those still held by a live executor."""
    query = select(CleanupRequest.id, CleanupRequest.state, CleanupRequest.lease_until).where(
        CleanupRequest.state.in_(("approved", "executing"))
    )
    due: list[int] = []
    held: list[datetime] = []
    for request_id, state, until in db_session.execute(query.order_by(CleanupRequest.id)):
        if until is not None and state == "executing":
            until = until if until.tzinfo else until.replace(tzinfo=UTC)
            if until >= now:
                held.append(until)
                continue
        due.append(request_id)
    return due, held


def events_of(db_session: Session, request_id: int) -> list[RemediationEvent]:
    """A request's audit events, oldest first."""
    query = (
        select(RemediationEvent)
        .where(RemediationEvent.request_id == request_id)
        .order_by(RemediationEvent.id)
    )
    return list(db_session.scalars(query))


def claim_restore(db_session: Session, request_id: int, *, now: datetime, user: str) -> bool:
    """Start a restore once: `available` → `restoring` while the window is open."""
    query = (
        update(CleanupRequest)
        .where(
            CleanupRequest.id == request_id,
            CleanupRequest.restore_state == "available",
            CleanupRequest.restore_until > now,
        )
        .values(restore_state="restoring", restored_by=user)
    )
    result = db_session.execute(query)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def set_restore_state(db_session: Session, request_id: int, was: str, to: str) -> bool:
    """Move the undo state `was` → `to` (once)."""
    query = (
        update(CleanupRequest)
        .where(CleanupRequest.id == request_id, CleanupRequest.restore_state == was)
        .values(restore_state=to)
    )
    result = db_session.execute(query)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def set_fields(db_session: Session, request_id: int, **values: Any) -> None:
    """Update non-state fields (message locations, result text, restore data)."""
    db_session.execute(
        update(CleanupRequest).where(CleanupRequest.id == request_id).values(**values)
    )


def append_event(
    db_session: Session,
    request: CleanupRequest,
    status: str,
    *,
    actor: str,
    now: datetime,
    result: str = "",
    decided_by: str | None = None,
    before: dict[str, Any] | None = None,
    **detail: Any,
) -> RemediationEvent:
    """Append one audit event about `request` (the only way events are written).

    `before` is the resource's state before this step (default: as it was requested).
    """
    event = RemediationEvent(
        at=now,
        request_id=request.id,
        status=status,
        actor=actor,
        resource_id=request.resource_id,
        resource_type=request.resource_type,
        action=request.action,
        region=request.region,
        account=request.account,
        requested_by=request.requested_by,
        decided_by=decided_by if decided_by is not None else request.decided_by,
        monthly_saving=Decimal(request.monthly_saving),
        before=before if before is not None else request.finding,
        result=result,
        detail=detail,
    )
    db_session.add(event)
    db_session.flush()
    if status != "refused":  # tell Slack in the same transaction (delivered by the outbox)
        outbox.request_changed(db_session, request.id, requested_by=request.requested_by)
    return event


def due_for_expiry(db_session: Session, now: datetime) -> list[int]:
    """Ids of pending requests whose time is up."""
    query = select(CleanupRequest.id).where(
        CleanupRequest.state == "pending", CleanupRequest.expires_at <= now
    )
    return list(db_session.scalars(query))


def stuck(db_session: Session, before: datetime) -> list[int]:
    """Ids of requests approved/executing since before `before` (a process died mid-way)."""
    query = select(CleanupRequest.id).where(
        CleanupRequest.state.in_(("approved", "executing")),
        CleanupRequest.decided_at < before,
    )
    return list(db_session.scalars(query))


def open_requests(db_session: Session, resource_ids: list[str]) -> dict[str, int]:
    """Open request ids by resource id, for the given resources."""
    if not resource_ids:
        return {}
    query = select(CleanupRequest.resource_id, CleanupRequest.id).where(
        CleanupRequest.state.in_(OPEN_STATES), CleanupRequest.resource_id.in_(resource_ids)
    )
    return {resource: request_id for resource, request_id in db_session.execute(query)}
