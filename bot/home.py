"""What a user's App Home shows: their teams' month-to-date spend against budget, the
requests waiting for their decision, their own open requests, and their teams' top waste.

"Their teams" are the teams they approve for; someone who approves for none sees every
team (like `/budget`). Each part is computed on its own: a part that fails (Cost
Explorer down, a scan refused) is reported in a note and the rest still shows.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.aws import describe_aws_error
from bot.budgets.status import BudgetStatus, team_statuses
from bot.orphans.model import Finding
from bot.orphans.scanner import ScanResult, scan
from bot.remediation.authz import EmailResolver, may_decide
from bot.services import Services
from storage.models_remediation import OPEN_STATES, CleanupRequest

log = logging.getLogger(__name__)

TOP_WASTE = 5
MAX_REQUESTS = 10
#: A Home tab is opened often; the waste scan behind it is reused for this long.
WASTE_TTL = timedelta(minutes=10)

#: id(services) -> (that Services, weakly: an id can be reused), when, what was found
_scans: dict[int, tuple[weakref.ref[Services], datetime, ScanResult]] = {}
_scans_lock = threading.Lock()


@dataclass
class HomeData:
    """Everything the Home tab of one user shows."""

    user: str
    teams: list[str]
    approver: bool  # approves for at least one team
    budgets: list[BudgetStatus] = field(default_factory=list)
    waiting: list[CleanupRequest] = field(default_factory=list)  # they may decide
    mine: list[CleanupRequest] = field(default_factory=list)  # they asked for, still open
    waste: list[Finding] = field(default_factory=list)  # their teams', largest first
    waste_total_count: int = 0
    waste_as_of: datetime | None = None
    waste_requests: dict[str, int] = field(default_factory=dict)  # resource id -> open request
    notes: list[str] = field(default_factory=list)  # plain text (escaped when shown)
    #: The bot's own answers to what the user just did on the tab (mrkdwn, e.g. a refusal).
    answers: list[str] = field(default_factory=list)


def user_teams(services: Services, user: str) -> tuple[list[str], bool]:
    """The teams `user` approves for (and True), or every team (and False)."""
    teams = services.config.teams
    mine = sorted(name for name, team in teams.items() if user in team.approvers)
    return (mine, True) if mine else (sorted(teams), False)


def home_data(
    services: Services, user: str, *, resolve_email: EmailResolver | None = None
) -> HomeData:
    """Collect the Home tab of `user`."""
    teams, approver = user_teams(services, user)
    data = HomeData(user=user, teams=teams, approver=approver)
    resolve_email = _memo(resolve_email)
    try:
        data.budgets = [s for s in team_statuses(services) if s.team in teams]
    except Exception as exc:
        log.warning("home: budgets unavailable", exc_info=True)
        data.notes.append(f"Budgets are unavailable right now: {describe_aws_error(exc)}")
    with services.db.session() as session:
        open_requests = list(
            session.scalars(
                select(CleanupRequest)
                .where(CleanupRequest.state.in_(OPEN_STATES))
                .order_by(CleanupRequest.monthly_saving.desc(), CleanupRequest.id)
            )
        )
        session.expunge_all()
    for request in open_requests:
        if request.requested_by == user:
            data.mine.append(request)
        if request.state == "pending" and _may_approve(services, request, user, resolve_email):
            data.waiting.append(request)
    data.waiting, data.mine = data.waiting[:MAX_REQUESTS], data.mine[:MAX_REQUESTS]
    try:
        data.waste_as_of, result = _waste_scan(services)
        found = [f for f in result.findings if f.team in teams and not f.protected]
        found.sort(key=lambda f: (-f.monthly_cost, f.resource_id))
        data.waste, data.waste_total_count = found[:TOP_WASTE], len(found)
        listed = {f.resource_id for f in data.waste}
        data.waste_requests = {
            r.resource_id: r.id for r in open_requests if r.resource_id in listed
        }
        if result.failures:
            data.notes.append(f"Waste: {len(result.failures)} part(s) could not be scanned.")
    except Exception as exc:
        log.warning("home: waste scan failed", exc_info=True)
        data.notes.append(f"Waste could not be scanned: {describe_aws_error(exc)}")
    return data


def _waste_scan(services: Services) -> tuple[datetime, ScanResult]:
    """The orphans scan, reused for WASTE_TTL (per Services, i.e. per process)."""
    now = services.now()
    with _scans_lock:
        cached = _scans.get(id(services))
    if cached is not None and cached[0]() is services and now - cached[1] < WASTE_TTL:
        return cached[1], cached[2]
    result = scan(services.aws, services.config, now=services.now)
    with _scans_lock:
        for key in [k for k, v in _scans.items() if v[0]() is None]:
            del _scans[key]
        _scans[id(services)] = (weakref.ref(services), now, result)
    return now, result


def _memo(resolve: EmailResolver | None) -> EmailResolver | None:
    """`resolve` asking Slack once per email (a Home tab checks many requests)."""
    if resolve is None:
        return None
    known: dict[str, str | None] = {}

    def lookup(email: str) -> str | None:
        if email not in known:
            known[email] = resolve(email)
        return known[email]

    return lookup


def _may_approve(
    services: Services, request: CleanupRequest, user: str, resolve: EmailResolver | None
) -> bool:
    verdict = may_decide(
        services.config,
        user=user,
        team=request.team,
        owner=request.owner,
        requested_by=request.requested_by,
        approving=True,
        resolve_email=resolve,
    )
    return verdict.allowed
