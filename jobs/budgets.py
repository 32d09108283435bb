"""The budgets job: the 80/90/100 % ladder and the early forecast warning, once per team
per month each (`post_once` keys like `budget:payments:2026-11:80`).

Steps (thresholds from `budgets.thresholds`, on month-to-date spend):
notify; notify and propose the team's restriction; propose stopping its non-critical
instances. Proposals are cleanup requests (approve/reject in the team's channel),
approved and executed by the bot only when `budgets.auto` is set.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from bot.budgets import proposals
from bot.budgets.status import BudgetStatus, team_statuses
from bot.findings.model import Finding
from bot.remediation import service as remediation
from bot.render import remediation as render
from bot.render.budgets import forecast_warning, threshold_message
from bot.services import Services
from bot.slack.announce import deliver_request
from bot.slack.outbound import Outbound
from jobs.posting import find_posted, post_once, web_client
from jobs.registry import scheduled

log = logging.getLogger(__name__)
STEPS = ("notify", "restrict", "stop")


def alert_key(team: str, month: str, what: str) -> str:
    """`budget:payments:2026-11:80` (or `...:forecast`)."""
    return f"budget:{team}:{month}:{what}"


@scheduled("budgets", trigger="cron", hour=7, minute=15)
def budgets_job(services: Services) -> str:
    """Compare each team's spend and forecast with its budget; alert and propose once."""
    client = web_client(services)
    sent: list[str] = []
    for status in team_statuses(services, budgeted_only=True):
        sent += _ladder(services, client, status)
        sent += _forecast(services, client, status)
    return ", ".join(sent) if sent else "no budget alerts"


def _ladder(services: Services, client: Outbound, status: BudgetStatus) -> list[str]:
    thresholds = services.config.budgets.thresholds
    use = status.use_pct or Decimal(0)
    sent = []
    for step, threshold in zip(STEPS, thresholds, strict=True):
        if use < threshold:
            break
        key = alert_key(status.team, status.month, f"{threshold.normalize():f}")
        if find_posted(services, key) is not None:
            continue
        found, notes = _findings(services, status, step)
        lines = notes + [
            f":ballot_box_with_check: Proposed: {render.what_finding(f)} — approval request below."
            for f in found
        ]
        message = threshold_message(status, threshold, step=step, proposals=lines)
        channel = _channel(services, status.team)
        if (
            post_once(
                services,
                client,
                key=key,
                kind="budget",
                channel=channel,
                team=status.team,
                message=message,
                detail={"use_pct": str(use), "step": step},
            )
            is None
        ):
            continue  # another run posted it
        sent.append(f"{status.team} {threshold.normalize():f}%")
        for finding in found:
            _request(services, client, finding, channel)
    return sent


def _findings(
    services: Services, status: BudgetStatus, step: str
) -> tuple[list[Finding], list[str]]:
    if step == "restrict":
        found = proposals.restriction(services, status)
        if found is None:
            return [], [
                f"No restriction is configured for {status.team} "
                f"(`budgets.restrictions.{status.team}` in finops.yml)."
            ]
        return [found], []
    if step == "stop":
        findings, problems = proposals.stop_candidates(services, status)
        notes = [f":warning: Could not list instances in {p}" for p in problems]
        if not findings and not problems:
            notes.append(f"No running non-critical instances of {status.team} to stop.")
        return findings, notes
    return [], []


def _request(services: Services, client: Outbound, finding: Finding, channel: str) -> None:
    """Open the proposal as a cleanup request and post it for approval (or auto-run it)."""
    request, new = proposals.propose(services, finding)
    if not new:
        log.info(
            "budget proposal for %s: request #%s already open", finding.resource_id, request.id
        )
        return
    # the approval message was queued with the request (for the team's channel)
    deliver_request(services, request.id)
    if services.config.budgets.auto and proposals.auto_approve(services, request):
        execution = remediation.execute(services, request.id)
        if execution.request is not None:
            deliver_request(services, request.id)


def _forecast(services: Services, client: Outbound, status: BudgetStatus) -> list[str]:
    """Warn early, once a month, when the forecast crosses the budget before spend does."""
    if status.crossing_date is None:
        return []
    key = alert_key(status.team, status.month, "forecast")
    posted = post_once(
        services,
        client,
        key=key,
        kind="budget-forecast",
        channel=_channel(services, status.team),
        team=status.team,
        message=forecast_warning(status),
        detail={"crossing": status.crossing_date.isoformat()},
    )
    return [f"{status.team} forecast"] if posted is not None else []


def _channel(services: Services, team: str) -> str:
    known = services.config.teams.get(team)
    return known.channel if known else services.config.default_channel
