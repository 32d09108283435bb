"""`finops-bot audit --verify`: does the audit log account for every cleanup request?

A request in a final state must have the events that state needs (an executed one: its
approval, an outcome for every step that was started, a `step_done` for each of its
action's steps, and `executed`); no step may be started without an outcome once the
request is final; and no request may sit in an open state past its expiry (pending past
its time, approved/executing longer than `STUCK_AFTER`: recovery should have finished it).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.orphans.model import Finding
from bot.remediation.actions import ACTIONS
from storage.db import Database
from storage.models_remediation import CleanupRequest, RemediationEvent

#: An approved/executing request older than this is stuck (the expiry job, every 15
#: minutes, reconciles interrupted requests; this leaves room for a slow step).
STUCK_AFTER = timedelta(hours=1)
#: The events each final state needs.
NEEDS = {
    "executed": ("requested", "approved", "executed"),
    "failed": ("requested",),
    "rejected": ("requested", "rejected"),
    "expired": ("requested", "expired"),
}


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def verify(db: Database, *, now: datetime) -> list[str]:
    """Every inconsistency found, one line each (empty: the log is consistent)."""
    with db.session() as session:
        requests = list(session.scalars(select(CleanupRequest).order_by(CleanupRequest.id)))
        rows = list(session.scalars(select(RemediationEvent).order_by(RemediationEvent.id)))
    by_request: dict[int, list[RemediationEvent]] = defaultdict(list)
    for row in rows:
        if row.request_id is not None:
            by_request[row.request_id].append(row)
    problems: list[str] = []
    for request in requests:
        where = f"request #{request.id} ({request.action} {request.resource_id}, {request.state})"
        problems.extend(f"{where}: {p}" for p in _check(request, by_request[request.id], now))
    return problems


def _check(request: CleanupRequest, events: list[RemediationEvent], now: datetime) -> list[str]:
    statuses = [e.status for e in events]
    problems = [
        f"no `{needed}` event"
        for needed in NEEDS.get(request.state, ("requested",))
        if needed not in statuses
    ]
    if request.state == "failed" and not {"failed", "skipped"} & set(statuses):
        problems.append("no `failed` or `skipped` event")
    started: dict[str, int] = defaultdict(int)
    ended: dict[str, int] = defaultdict(int)
    done: set[str] = set()
    for event in events:
        step = str((event.detail or {}).get("step", ""))
        if event.status == "step_started":
            started[step] += 1
        elif event.status in ("step_done", "step_failed"):
            ended[step] += 1
            if event.status == "step_done":
                done.add(step)
    final = request.state in NEEDS
    if final:
        for step in started:
            if step not in ended:
                problems.append(f"step `{step}` was started but its outcome was never recorded")
    if request.state == "executed" and started:  # (requests executed before 0008 have none)
        action = ACTIONS.get(request.action)
        if action is not None:
            before = next((e.before for e in events if e.status == "step_started"), request.finding)
            for planned in action.steps(Finding.from_json(before)):
                if planned.name not in done:
                    problems.append(f"no recorded outcome for step `{planned.name}`")
    problems.extend(_stuck(request, now))
    return problems


def _stuck(request: CleanupRequest, now: datetime) -> list[str]:
    if request.state == "pending":
        expires = _aware(request.expires_at)
        if expires is not None and expires + timedelta(hours=1) < now:
            return [f"still pending {now - expires} after its expiry"]
    if request.state in ("approved", "executing"):
        since = _aware(request.decided_at) or _aware(request.requested_at)
        if since is not None and since + STUCK_AFTER < now:
            return [f"{request.state} since {since.isoformat()}: never finished"]
    return []
