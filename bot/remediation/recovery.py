"""Recovery: finish what a dead process left half done, from what AWS really shows.

Run at start (serve and clock, in a background thread) and by the `expire-cleanups` job.
Every request found `approved`, or `executing` with a lapsed lease, is taken over with the
same at-most-once guard as execution (a conditional UPDATE: of two replicas starting
together one wins), then:

- nothing was started in AWS: it is executed now (re-checked first);
- a step was in flight: the step's `look` says whether it happened (the snapshot tagged
  with the step's token exists, the volume is gone...); a step that happened is recorded
  with what was found, one that did not is done now, then the remaining steps run;
- the end is recorded like any execution (restore data included, so Undo is offered),
  or `failed` with the real state; a `reconciled` event says what was found.

An undo interrupted mid-way (`restoring`) is looked at too: a restored volume is found by
its tags; otherwise the undo is offered again.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.remediation import execution
from bot.remediation import requests as store
from bot.remediation.actions import REQUEST_TAG
from bot.remediation.journal import load_journal
from bot.services import Services
from storage import audit, health
from storage.models_remediation import CleanupRequest

log = logging.getLogger(__name__)

#: Start-up recovery waits for live leases to lapse this many times at most.
MAX_ROUNDS = 5


@dataclass
class Reconciled:
    """What one recovery pass did."""

    finished: list[execution.Execution] = field(default_factory=list)
    waiting: int = 0  # requests still held by a live executor's lease
    restores: int = 0

    def summary(self) -> str:
        """One line for logs and job runs."""
        outcomes = ", ".join(f"#{e.request.id} {e.outcome}" for e in self.finished if e.request)
        return (
            f"{len(self.finished)} interrupted request(s) reconciled"
            + (f" ({outcomes})" if outcomes else "")
            + (f"; {self.waiting} still held by a live executor" if self.waiting else "")
            + (f"; {self.restores} interrupted undo(s) resolved" if self.restores else "")
        )


#: Shows a request's true state in Slack (handlers/jobs pass one in: this package knows
#: nothing of Slack). jobs.cleanups.redraw_request is the one used.
Redraw = Callable[[Services, CleanupRequest], None]


def _no_redraw(services: Services, request: CleanupRequest) -> None:
    return None


def reconcile(services: Services, redraw: Redraw = _no_redraw) -> Reconciled:
    """One pass over every interrupted request (and interrupted undo); each one's Slack
    message is redrawn with `redraw`."""
    done = Reconciled()
    problem = health.database_problem(services.db)
    if problem is not None:
        log.warning("reconciliation skipped: %s", problem)
        return done
    audit.flush_deferred(services.db)
    with services.db.session() as session:
        due, held = store.unfinished(session, services.now())
    done.waiting = len(held)
    for request_id in due:
        try:
            result = reconcile_one(services, request_id, redraw)
        except Exception:
            log.exception("reconciling request %s failed; it is tried again later", request_id)
            continue
        if result is not None:
            done.finished.append(result)
    done.restores = _reconcile_restores(services, redraw)
    return done


def reconcile_one(
    services: Services, request_id: int, redraw: Redraw = _no_redraw
) -> execution.Execution | None:
    """Take over one interrupted request and bring it to its true final state; None when
    another process holds it (or it is no longer open)."""
    now = services.now()
    until = now + execution.LEASE_TTL
    with services.db.session() as session:
        request = store.get_request(session, request_id)
        if request is None:
            return None
        was = request.state
        if was == "approved":
            taken = store.claim_execution(
                session, request_id, owner=execution.OWNER, until=until, run_key=_new_key()
            )
        else:
            taken = store.take_over(
                session, request_id, owner=execution.OWNER, now=now, until=until
            )
        request = store.get_request(session, request_id)
    if not taken or request is None:
        return None
    journal = load_journal(services, request_id)
    found: dict[str, str] = {}
    if journal.empty:
        found["state"] = f"{was}, no AWS step started: executed now"
    result = execution.execute_claimed(services, request, journal, found)
    if result.outcome == "unrecorded":
        return result
    with services.db.session() as session:
        fresh = store.get_request(session, request_id)
        assert fresh is not None
        store.append_event(
            session,
            fresh,
            "reconciled",
            actor=store.BOT_ACTOR,
            now=services.now(),
            result=f"{was} request reconciled: {fresh.state}",
            found=found,
            outcome=result.outcome,
            interrupted_at=request.step,
        )
    log.info("request %s reconciled: %s (%s)", request_id, fresh.state, found)
    _redraw(redraw, services, fresh)
    return execution.Execution(result.outcome, fresh, result.message)


def _redraw(redraw: Redraw, services: Services, request: CleanupRequest) -> None:
    try:
        redraw(services, request)
    except Exception:
        log.warning("could not redraw request %s in Slack", request.id, exc_info=True)


def _new_key() -> str:
    return secrets.token_hex(8)


def _reconcile_restores(services: Services, redraw: Redraw) -> int:
    """Undo claims (`restoring`) older than the lease: restored (a volume tagged as
    restored from it exists) or offered again."""
    cutoff = services.now() - execution.LEASE_TTL
    query = select(CleanupRequest).where(CleanupRequest.restore_state == "restoring")
    with services.db.session() as session:
        stuck = list(session.scalars(query))
    resolved = 0
    for request in stuck:
        with services.db.session() as session:
            events = store.events_of(session, request.id)
        started = [e for e in events if e.status == "restore_started"]
        if started and execution.as_aware(started[-1].at) > cutoff:
            continue  # a live undo
        volume = _restored_volume(services, request)
        state, status = ("restored", "restored") if volume else ("available", "reconciled")
        message = (
            f"volume `{volume}` restored from snapshot (found after an interruption)"
            if volume
            else "an interrupted undo did nothing: Undo is offered again"
        )
        with services.db.session() as session:
            if not store.set_restore_state(session, request.id, "restoring", state):
                continue
            fresh = store.get_request(session, request.id)
            assert fresh is not None
            store.append_event(
                session,
                fresh,
                status,
                actor=store.BOT_ACTOR,
                now=services.now(),
                result=message,
                found={"restore": volume or "nothing restored"},
            )
        resolved += 1
        _redraw(redraw, services, fresh)
    return resolved


def _restored_volume(services: Services, request: CleanupRequest) -> str | None:
    restore = request.restore or {}
    if "snapshot_id" not in restore:
        return None
    ec2 = execution.context_for(services, request).client("ec2")
    filters = [
        {"Name": "tag:finops:restored-from", "Values": [str(restore["snapshot_id"])]},
        {"Name": f"tag:{REQUEST_TAG}", "Values": [str(request.id)]},
    ]
    volumes = ec2.describe_volumes(Filters=filters)["Volumes"]
    return str(volumes[0]["VolumeId"]) if volumes else None


def start_recovery(
    services: Services, *, process: str, redraw: Redraw = _no_redraw
) -> threading.Thread:
    """Reconcile in the background at start, waiting (a few times) for leases held by
    executors that may have died to lapse."""
    health.remember_file(services.db)

    def run() -> None:
        for _ in range(MAX_ROUNDS):
            try:
                result = reconcile(services, redraw)
            except Exception:
                log.exception("%s: start-up reconciliation failed", process)
                return
            if result.finished or result.restores:
                log.info("%s start-up: %s", process, result.summary())
            if not result.waiting:
                return
            time.sleep(execution.LEASE_TTL.total_seconds() + 0.5)

    thread = threading.Thread(target=run, name="recovery", daemon=True)
    thread.start()
    return thread
