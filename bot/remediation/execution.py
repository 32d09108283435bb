"""Carrying out a claimed request step by step, write-ahead.

For every step of the action: its intent (`step_started`: the step, its AWS call, its
idempotency token, what it prepared) is committed to the audit log before the AWS call,
and its outcome (`step_done` with the ids of what it made, or `step_failed`) is committed
before the next step. A process killed anywhere leaves the request `executing` with a
journal that says which step was in flight; recovery (bot.remediation.recovery) looks at
AWS for that step and finishes from there. The executor holds a lease on the request,
renewed while it works, so recovery never takes over a live execution.

When the database refuses a write no AWS call is made after it: the intent of a step is
written before its call or the call does not happen.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.aws import describe_aws_error
from bot.observability.metrics import count_execution
from bot.orphans.model import Finding, NotEligible, TargetContext, load_kinds
from bot.orphans.scanner import target_context
from bot.remediation import requests as store
from bot.remediation.actions import ACTIONS, Outcomes
from bot.remediation.journal import Journal
from bot.remediation.steps import StepRun, step_token
from bot.services import Services
from storage import inventory_updates
from storage.models_remediation import CleanupRequest

log = logging.getLogger(__name__)

#: How long an executor's claim on a request lasts without renewal (renewed every third
#: of it while it works): after a crash, recovery waits this long at most.
LEASE_TTL = timedelta(seconds=float(os.environ.get("FINOPS_EXECUTION_LEASE_SECONDS", "60")))
#: This process, as a lease holder.
OWNER = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
#: What an approver is told when the database cannot record an approval or a step.
UNRECORDED = "Can't record this right now (the database refuses writes): nothing was done."
#: ... when the approval itself was recorded but the first step's intent could not be.
NOT_STARTED = (
    "Approved, but the database refuses writes now: nothing was done in AWS yet. The bot "
    "carries it out once the database takes writes again."
)


@dataclass
class Execution:
    """`outcome`: executed, skipped (resource changed; nothing done), failed, not_claimed
    (someone else is executing / did), or unrecorded (the database refused a write; the
    request is reconciled once it takes writes again)."""

    outcome: str
    request: CleanupRequest | None
    message: str = ""


class Unrecorded(Exception):
    """The database refused a write; `done_in_aws` says whether AWS already changed."""

    def __init__(self, message: str, *, done_in_aws: bool) -> None:
        super().__init__(message)
        self.done_in_aws = done_in_aws


def as_aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); make them aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def context_for(services: Services, request: CleanupRequest) -> TargetContext:
    """Where the request's resource is, with clients for it."""
    return target_context(
        services.aws,
        services.config,
        account=request.account,
        region=request.region,
        now=services.now(),
    )


@contextmanager
def lease_kept(services: Services, request_id: int) -> Iterator[None]:
    """Renew this process's lease on the request while the block runs."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(LEASE_TTL.total_seconds() / 3):
            try:
                with services.db.session() as session:
                    store.renew_lease(
                        session, request_id, owner=OWNER, until=services.now() + LEASE_TTL
                    )
            except Exception:
                log.warning("could not renew the lease on request %s", request_id, exc_info=True)

    thread = threading.Thread(target=renew, name=f"lease-{request_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def execute_claimed(
    services: Services, request: CleanupRequest, journal: Journal, found: dict[str, str]
) -> Execution:
    """Run a request this process holds: re-check (when nothing was started yet), then
    the remaining steps. `found` collects what recovery learned by looking."""
    with lease_kept(services, request.id):
        try:
            return _execute(services, request, journal, found)
        except Unrecorded as exc:
            log.error("request %s: %s", request.id, exc)
            message = (
                f"{exc} The bot reconciles it when the database takes writes again."
                if exc.done_in_aws
                else NOT_STARTED
            )
            return Execution("unrecorded", request, message)


def _execute(
    services: Services, request: CleanupRequest, journal: Journal, found: dict[str, str]
) -> Execution:
    ctx = context_for(services, request)
    if journal.empty:
        kind = load_kinds().get(request.kind)
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
            return finish(services, request, "failed", "skipped", f"Nothing done: {exc}.")
        except Exception as exc:
            return finish(services, request, "failed", "failed", describe_aws_error(exc))
    else:  # resuming: act on the resource as the first step saw it
        fresh = Finding.from_json(journal.before or request.finding)
    return _run_steps(services, request, ctx, fresh, journal, found)


def _record(
    services: Services,
    request: CleanupRequest,
    status: str,
    *,
    before: Finding,
    done_in_aws: bool,
    result: str = "",
    **detail: Any,
) -> None:
    """Commit one step event (and renew the lease) or raise Unrecorded."""
    try:
        with services.db.session() as session:
            store.renew_lease(
                session,
                request.id,
                owner=OWNER,
                until=services.now() + LEASE_TTL,
                step=str(detail.get("step", "")) or None,
            )
            store.append_event(
                session,
                request,
                status,
                actor=store.BOT_ACTOR,
                now=services.now(),
                result=result,
                before=before.to_json(),
                **detail,
            )
    except DBAPIError as exc:
        what = f"{detail.get('step')} {'was done in AWS but ' if done_in_aws else ''}"
        raise Unrecorded(
            f"step {what}could not be recorded: {exc.orig or exc}", done_in_aws=done_in_aws
        ) from exc


def _run_steps(
    services: Services,
    request: CleanupRequest,
    ctx: TargetContext,
    fresh: Finding,
    journal: Journal,
    found: dict[str, str],
) -> Execution:
    action = ACTIONS[request.action]
    window = timedelta(days=services.config.remediation.restore_window_days)
    restore_until = services.now() + window
    run_key = request.run_key or str(request.id)
    outcomes: Outcomes = dict(journal.done)
    for step in action.steps(fresh):
        if step.name in outcomes:
            continue
        token = step_token(run_key, request.id, step.name)
        run = StepRun(ctx, fresh, request.id, token, restore_until, outcomes=outcomes)
        try:
            if step.name in journal.started:  # interrupted: did it happen?
                run.prepared = dict(journal.started[step.name].get("prepared") or {})
                seen = step.look(run)
                if seen is not None:
                    outcomes[step.name] = {**run.prepared, **seen}
                    found[step.name] = "done (found in AWS)"
                    _record(
                        services,
                        request,
                        "step_done",
                        before=fresh,
                        done_in_aws=True,
                        step=step.name,
                        outcome=outcomes[step.name],
                        found=True,
                    )
                    continue
                found[step.name] = "not done (done now)"
            elif step.prepare is not None:
                run.prepared = step.prepare(run)
        except NotEligible as exc:
            return _failed(services, request, fresh, step.name, f"Nothing done: {exc}.", outcomes)
        except Unrecorded:
            raise
        except Exception as exc:
            message = f"could not look at {step.name}: {describe_aws_error(exc)}"
            return _failed(services, request, fresh, step.name, message, outcomes)
        _record(
            services,
            request,
            "step_started",
            before=fresh,
            done_in_aws=bool(outcomes),
            step=step.name,
            aws_call=step.aws_call,
            token=token,
            prepared=run.prepared,
        )
        try:
            result = step.do(run)
        except Exception as exc:
            log.warning("request %s: step %s failed", request.id, step.name, exc_info=True)
            error = str(exc) if isinstance(exc, NotEligible) else describe_aws_error(exc)
            return _failed(services, request, fresh, step.name, error, outcomes, started=True)
        outcomes[step.name] = {**run.prepared, **result}
        _record(
            services,
            request,
            "step_done",
            before=fresh,
            done_in_aws=True,
            step=step.name,
            outcome=outcomes[step.name],
        )
    outcome = action.conclude(fresh, outcomes)
    restorable = outcome.restore is not None and window > timedelta(0)
    restore = (
        {**(outcome.restore or {}), "restore_token": step_token(run_key, request.id, "restore")}
        if restorable
        else None
    )
    return finish(
        services,
        request,
        "executed",
        "executed",
        outcome.summary,
        before=fresh,
        restore=restore,
        restore_until=restore_until if restorable else None,
        restore_state="available" if restorable else None,
        created=outcome.created,
        steps=sorted(outcomes),
    )


def _created(outcomes: Outcomes) -> list[str]:
    return [
        str(v)
        for outcome in outcomes.values()
        for k, v in outcome.items()
        if k in ("snapshot_id", "image_id")
    ]


def _failed(
    services: Services,
    request: CleanupRequest,
    fresh: Finding,
    step: str,
    error: str,
    outcomes: Outcomes,
    *,
    started: bool = False,
) -> Execution:
    """Record a step that failed and the request's real state: what was done before it."""
    if started:
        _record(
            services,
            request,
            "step_failed",
            before=fresh,
            done_in_aws=bool(outcomes),
            step=step,
            result=error,
        )
    done = "; ".join(f"{name} done ({_brief(o)})" for name, o in outcomes.items())
    message = f"{step} failed: {error}" + (f" Done before it: {done}." if done else "")
    if not done and error.startswith("Nothing done"):
        return finish(services, request, "failed", "skipped", error, before=fresh)
    return finish(
        services, request, "failed", "failed", message, before=fresh, created=_created(outcomes)
    )


def _brief(outcome: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in outcome.items()) or "ok"


def finish(
    services: Services,
    request: CleanupRequest,
    state: str,
    event: str,
    result: str,
    *,
    before: Finding | None = None,
    created: list[str] | None = None,
    steps: list[str] | None = None,
    **values: Any,
) -> Execution:
    extra: dict[str, Any] = {"steps": steps} if steps is not None else {}
    """Move an executing request to its final state with its closing audit event."""
    now = services.now()
    count_execution(request.action, event)
    try:
        with services.db.session() as session:
            store.transition(
                session,
                request.id,
                from_states=("executing",),
                to=state,
                result=result,
                finished_at=now,
                lease_owner=None,
                lease_until=None,
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
                **extra,
            )
            if event in ("executed", "skipped"):  # the inventory shows it at once, no rescan
                inventory_updates.changed(session, fresh, gone=event == "executed")
    except DBAPIError as exc:
        raise Unrecorded(
            f"the outcome ({result}) could not be recorded: {exc.orig or exc}",
            done_in_aws=event == "executed",
        ) from exc
    return Execution(event, fresh, result)
