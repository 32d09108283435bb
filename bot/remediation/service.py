"""Cleanup flows: request, decide (approve/reject), execute, restore, expire.

Plain data in and out; nothing here knows about Slack. Each flow is safe to call twice
or concurrently: the database state machine (bot.remediation.requests) decides who acts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.aws import describe_aws_error
from bot.observability.metrics import count_execution
from bot.orphans.model import Finding, NotEligible, TargetContext, load_kinds
from bot.orphans.scanner import target_context
from bot.remediation import requests as store
from bot.remediation.actions import ACTIONS
from bot.remediation.authz import EmailResolver, may_decide
from bot.services import Services
from storage import inventory_updates
from storage.models_remediation import CleanupRequest

log = logging.getLogger(__name__)
#: An approved/executing request older than this was interrupted (its process died).
STUCK_AFTER = timedelta(hours=1)


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


@dataclass
class Execution:
    """`outcome`: executed, skipped (resource changed; nothing done), failed, or
    not_claimed (someone else is executing / did)."""

    outcome: str
    request: CleanupRequest | None
    message: str = ""


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
) -> Decision:
    """Approve or reject a pending request, if `user` may; refusals are logged too."""
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
        resolve_email=resolve_email,
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
            **({} if approve else {"finished_at": now}),
        )
        request = store.get_request(session, request_id)
        assert request is not None
        if moved:
            store.append_event(
                session, request, to, actor=user, now=now, decided_by=user, role=verdict.as_role
            )
    return Decision(to if moved else "closed", request)


def execute(services: Services, request_id: int) -> Execution:
    """Carry out an approved request exactly once: re-check, act, record the outcome."""
    now = services.now()
    with services.db.session() as session:
        claimed = store.transition(session, request_id, from_states=("approved",), to="executing")
        request = store.get_request(session, request_id)
    if not claimed or request is None:
        return Execution("not_claimed", request)
    kind = load_kinds().get(request.kind)
    ctx = _ctx(services, request)
    try:
        if kind is not None:
            fresh = kind.recheck(ctx, request.resource_id)
        else:  # a budget proposal: its action re-checks the target
            fresh = ACTIONS[request.action].recheck(ctx, Finding.from_json(request.finding))
        if fresh.protected:
            raise NotEligible(
                f"`{request.resource_id}` is now tagged `{services.config.tags.protect}`"
            )
    except NotEligible as exc:
        return _finish(services, request, "failed", "skipped", f"Nothing done: {exc}.")
    except Exception as exc:
        return _finish(services, request, "failed", "failed", describe_aws_error(exc))
    window = timedelta(days=services.config.remediation.restore_window_days)
    try:
        outcome = ACTIONS[request.action].execute(
            ctx, fresh, request_id=request.id, restore_until=now + window
        )
    except Exception as exc:
        log.warning("cleanup request %s failed", request.id, exc_info=True)
        return _finish(services, request, "failed", "failed", describe_aws_error(exc), before=fresh)
    restorable = outcome.restore is not None and window > timedelta(0)
    return _finish(
        services,
        request,
        "executed",
        "executed",
        outcome.summary,
        before=fresh,
        restore=outcome.restore if restorable else None,
        restore_until=now + window if restorable else None,
        restore_state="available" if restorable else None,
        created=outcome.created,
    )


def _finish(
    services: Services,
    request: CleanupRequest,
    state: str,
    event: str,
    result: str,
    *,
    before: Finding | None = None,
    created: list[str] | None = None,
    **values: Any,
) -> Execution:
    now = services.now()
    count_execution(request.action, event)
    with services.db.session() as session:
        store.transition(
            session,
            request.id,
            from_states=("executing",),
            to=state,
            result=result,
            finished_at=now,
            **values,
        )
        fresh = store.get_request(session, request.id)
        assert fresh is not None
        store.append_event(
            session,
            fresh,
            event,
            actor=store.BOT_ACTOR,
            now=now,
            result=result,
            before=before.to_json() if before else None,
            created=created or [],
        )
        if event in ("executed", "skipped"):  # the inventory shows it at once, no rescan
            inventory_updates.changed(session, fresh, gone=event == "executed")
    return Execution(event, fresh, result)


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
    try:
        done = ACTIONS[request.action].undo(
            _ctx(services, request), request.restore, request_id=request.id
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
    """Expire pending requests past their time, and fail ones interrupted mid-way."""
    now = services.now()
    changed: list[CleanupRequest] = []
    with services.db.session() as session:
        due = store.due_for_expiry(session, now)
        stuck = store.stuck(session, now - STUCK_AFTER)
    for request_id, to, from_states, result in [
        *((i, "expired", ("pending",), "Expired: nobody decided in time.") for i in due),
        *(
            (
                i,
                "failed",
                ("approved", "executing"),
                "Interrupted while executing: check the resource by hand.",
            )
            for i in stuck
        ),
    ]:
        with services.db.session() as session:
            if store.transition(
                session, request_id, from_states=from_states, to=to, finished_at=now, result=result
            ):
                request = store.get_request(session, request_id)
                assert request is not None
                store.append_event(
                    session,
                    request,
                    "expired" if to == "expired" else "failed",
                    actor=store.BOT_ACTOR,
                    now=now,
                    result=result,
                )
                changed.append(request)
    return changed
