"""Cleanup flows: request, decide (approve/reject), execute, restore, expire.

Plain data in and out; nothing here knows about Slack. Each flow is safe to call twice
or concurrently: the database state machine (bot.remediation.requests) decides who acts.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.aws import describe_aws_error
from bot.orphans.model import Finding, NotEligible, TargetContext, load_kinds
from bot.orphans.scanner import target_context
from bot.remediation import execution
from bot.remediation import requests as store
from bot.remediation.actions import ACTIONS
from bot.remediation.authz import EmailResolver, may_decide
from bot.remediation.execution import Execution
from bot.remediation.journal import Journal
from bot.services import Services
from storage import audit, health, inventory_updates
from storage.models_remediation import CleanupRequest

__all__ = ["Decision", "Execution", "RequestResult", "ResourceRef", "decide", "execute"]

log = logging.getLogger(__name__)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); make them aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ResourceRef:
    """What a "Request cleanup" button points at."""

    kind: str
    region: str
    account: str
    resource_id: str


@dataclass
class RequestResult:
    """A new request, or why there is none (`problem`, or an `existing` open request)."""

    request: CleanupRequest | None = None
    problem: str = ""
    existing: CleanupRequest | None = None


@dataclass
class Decision:
    """`outcome`: approved, rejected, refused (not allowed), closed (no longer pending),
    or missing."""

    outcome: str
    request: CleanupRequest | None
    reason: str = ""


def _ctx(services: Services, request: CleanupRequest | ResourceRef) -> TargetContext:
    return target_context(
        services.aws,
        services.config,
        account=request.account,
        region=request.region,
        now=services.now(),
    )


#: Looks at one resource again right now: the finding, or NotEligible.
Recheck = Callable[[TargetContext, str], Finding]


def open_request(
    services: Services,
    ref: ResourceRef,
    recheck: Recheck | None,
    *,
    user: str,
    what: str = "finding",
    verb: str = "clean up",
    adjust: Callable[[Finding], Finding] | None = None,
) -> RequestResult:
    """Re-check the resource (`recheck`; None: unknown kind) and open a pending request for
    its action. `adjust` may refuse or change the fresh finding (NotEligible says why)."""
    if recheck is None:
        return RequestResult(problem=f"unknown kind of {what} {ref.kind!r}")
    if ref.region not in services.config.regions:
        return RequestResult(problem=f"region {ref.region} is no longer configured")
    try:
        finding = recheck(_ctx(services, ref), ref.resource_id)
        if adjust is not None:
            finding = adjust(finding)
    except NotEligible as exc:
        return RequestResult(problem=f"nothing to {verb}: {exc}")
    except Exception as exc:
        log.warning("re-check of %s failed", ref.resource_id, exc_info=True)
        return RequestResult(problem=describe_aws_error(exc))
    if finding.protected or finding.action is None:
        tag = services.config.tags.protect
        return RequestResult(
            problem=f"`{ref.resource_id}` is tagged `{tag}`: it is reported but never changed"
        )
    ttl = timedelta(hours=services.config.remediation.request_ttl_hours)
    with services.db.session() as session:
        try:
            request = store.create_request(
                session, finding=finding, requested_by=user, now=services.now(), ttl=ttl
            )
        except store.AlreadyOpen as exc:
            return RequestResult(existing=exc.existing)
    return RequestResult(request=request)


def get_request(services: Services, request_id: int) -> CleanupRequest | None:
    """A cleanup request by id, read fresh from the database."""
    with services.db.session() as session:
        return store.get_request(session, request_id)


def request_cleanup(services: Services, ref: ResourceRef, *, user: str) -> RequestResult:
    """Re-check a piece of waste and open a pending request for its cleanup."""
    kind = load_kinds().get(ref.kind)
    return open_request(services, ref, kind.recheck if kind else None, user=user)


def decide(
    services: Services,
    request_id: int,
    *,
    user: str,
    approve: bool,
    resolve_email: EmailResolver | None = None,
    reason: str = "",
) -> Decision:
    """Approve or reject a pending request, if `user` may; refusals are logged too. A
    rejection's optional `reason` is kept as the request's result and in the audit event.

    When the database refuses the write, nothing moves (`unrecorded`) and the attempt is
    audited as soon as the database takes writes again."""
    try:
        problem = health.file_problem(services.db)
        if problem is not None:  # writes would land in a file nobody reads again
            raise DBAPIError("decide", None, Exception(problem))
        return _decide(
            services,
            request_id,
            user=user,
            approve=approve,
            resolve=resolve_email,
            reason=reason,
        )
    except DBAPIError as exc:
        log.error("decision on request %s not recorded: %s", request_id, exc)
        audit.defer(
            actor=user,
            action="cleanup.decision_unrecorded",
            subject=f"cleanup-request:{request_id}",
            attempted="approve" if approve else "reject",
            error=str(exc.orig or exc)[:500],
        )
        return Decision("unrecorded", None, execution.UNRECORDED)


def _decide(
    services: Services,
    request_id: int,
    *,
    user: str,
    approve: bool,
    resolve: EmailResolver | None,
    reason: str = "",
) -> Decision:
    now = services.now()
    with services.db.session() as session:
        request = store.get_request(session, request_id)
    if request is None:
        return Decision("missing", None, f"there is no cleanup request #{request_id}")
    if request.state != "pending":
        return Decision("closed", request)
    if as_utc(request.expires_at) <= now:
        expire_due(services)
        with services.db.session() as session:
            return Decision("closed", store.get_request(session, request_id))
    verdict = may_decide(
        services.config,
        user=user,
        team=request.team,
        owner=request.owner,
        requested_by=request.requested_by,
        approving=approve,
        resolve_email=resolve,
    )
    if not verdict.allowed:
        with services.db.session() as session:
            store.append_event(
                session,
                request,
                "refused",
                actor=user,
                now=now,
                result=verdict.reason,
                attempted="approve" if approve else "reject",
            )
        return Decision("refused", request, verdict.reason)
    to = "approved" if approve else "rejected"
    with services.db.session() as session:
        moved = store.transition(
            session,
            request_id,
            from_states=("pending",),
            to=to,
            not_expired_at=now,
            decided_by=user,
            decided_at=now,
            **({} if approve else {"finished_at": now, "result": reason}),
        )
        request = store.get_request(session, request_id)
        assert request is not None
        if moved:
            detail: dict[str, Any] = {} if approve else {"reason": reason}
            store.append_event(
                session,
                request,
                to,
                actor=user,
                now=now,
                decided_by=user,
                role=verdict.as_role,
                result="" if approve else reason,
                **detail,
            )
    return Decision(to if moved else "closed", request)


def execute(services: Services, request_id: int) -> Execution:
    """Carry out an approved request exactly once: claim it, re-check, then each step
    write-ahead (bot.remediation.execution)."""
    until = services.now() + execution.LEASE_TTL
    try:
        problem = health.file_problem(services.db)
        if problem is not None:
            raise DBAPIError("execute", None, Exception(problem))
        with services.db.session() as session:
            claimed = store.claim_execution(
                session,
                request_id,
                owner=execution.OWNER,
                until=until,
                run_key=secrets.token_hex(8),
            )
            request = store.get_request(session, request_id)
    except DBAPIError as exc:
        log.error("request %s not claimed: the database refused it (%s)", request_id, exc)
        return Execution("unrecorded", None, execution.NOT_STARTED)
    if not claimed or request is None:
        return Execution("not_claimed", request)
    return execution.execute_claimed(services, request, Journal(), {})


def restore(
    services: Services, request_id: int, *, user: str, resolve_email: EmailResolver | None = None
) -> Execution:
    """Undo an executed request once, within the window, with its action's `undo` (a
    volume from its pre-delete snapshot, an instance started again or changed back)."""
    now = services.now()
    with services.db.session() as session:
        request = store.get_request(session, request_id)
    if request is None or request.restore is None:
        return Execution("unavailable", request, "this cleanup cannot be undone")
    verdict = may_decide(
        services.config,
        user=user,
        team=request.team,
        owner=request.owner,
        requested_by="",
        approving=True,
        resolve_email=resolve_email,
    )
    if not verdict.allowed and user != request.decided_by:
        return Execution("refused", request, verdict.reason)
    if request.restore_state != "available":
        return Execution("unavailable", request, f"restore is {request.restore_state}")
    if request.restore_until is None or as_utc(request.restore_until) <= now:
        return Execution("unavailable", request, "the restore window has closed")
    with services.db.session() as session:
        if not store.claim_restore(session, request_id, now=now, user=user):
            return Execution(
                "unavailable",
                store.get_request(session, request_id),
                "someone else is restoring it, or the window has closed",
            )
        # Write-ahead: the undo is in the log before its AWS call.
        store.append_event(session, request, "restore_started", actor=user, now=now)
    try:
        done = ACTIONS[request.action].undo(
            execution.context_for(services, request), request.restore, request_id=request.id
        )
    except Exception as exc:
        message = describe_aws_error(exc)
        with services.db.session() as session:
            store.set_fields(session, request_id, restore_state="available")
            store.append_event(
                session, request, "restore_failed", actor=user, now=now, result=message
            )
        return Execution("failed", request, message)
    message = f"{done} by <@{user}>"
    with services.db.session() as session:
        # The undo's own sentence (the new volume's id...) is kept for the messages.
        restored = {**(request.restore or {}), "undone": done}
        store.set_fields(session, request_id, restore_state="restored", restore=restored)
        fresh = store.get_request(session, request_id)
        assert fresh is not None
        store.append_event(session, fresh, "restored", actor=user, now=now, result=message)
        inventory_updates.changed(session, fresh, gone=False)
    return Execution("restored", fresh, message)


def expire_due(services: Services) -> list[CleanupRequest]:
    """Expire pending requests past their time. (Interrupted executions are not failed
    here: bot.remediation.recovery looks at AWS and finishes them.)"""
    now = services.now()
    changed: list[CleanupRequest] = []
    with services.db.session() as session:
        due = store.due_for_expiry(session, now)
    result = "Expired: nobody decided in time."
    for request_id in due:
        with services.db.session() as session:
            if store.transition(
                session,
                request_id,
                from_states=("pending",),
                to="expired",
                finished_at=now,
                result=result,
            ):
                request = store.get_request(session, request_id)
                assert request is not None
                store.append_event(
                    session, request, "expired", actor=store.BOT_ACTOR, now=now, result=result
                )
                changed.append(request)
    return changed
