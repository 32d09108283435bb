"""The ladder's proposals as cleanup requests: same approval, audit and at-most-once
machinery as waste cleanups (bot.remediation), with the budget actions' own re-checks."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from bot.advice.catalogue import default_catalogue
from bot.advice.rightsizing import KIND_IDLE
from bot.advice.rightsizing_rules import stop_proposal
from bot.aws import CURRENT_ACCOUNT
from bot.budgets.status import BudgetStatus
from bot.findings.model import Finding
from bot.findings.scope import ScanFilter
from bot.formatting import money, pct
from bot.inventory.listing import read_listing
from bot.inventory.tags import tag_failures, tag_listing
from bot.remediation import requests as store
from bot.remediation.budget_actions import stoppable_tags
from bot.services import Services
from bot.tags.kind import KIND as TAGS_KIND
from storage.models_remediation import CleanupRequest

log = logging.getLogger(__name__)
KIND = "budget"
#: The inventory kind whose stored figures say what stopping an idle instance saves.
RIGHTSIZING = "rightsizing"


def _finding(status: BudgetStatus, **values: object) -> Finding:
    base: dict[str, object] = dict(
        kind=KIND,
        size="",
        age_days=None,
        tags={},
        team=status.team,
        owner=None,
        approximate=True,
        protected=False,
        reason=(
            f"team {status.team} has spent {money(status.month_to_date)} "
            f"({pct(status.use_pct)}) of its {money(status.budget.amount)} budget "
            f"for {status.month}"
        ),
    )
    base.update(values)
    return Finding(**base)  # type: ignore[arg-type]


def restriction(services: Services, status: BudgetStatus) -> Finding | None:
    """The team's configured restriction (None when `budgets.restrictions` has none)."""
    config = services.config
    rule = config.budgets.restrictions.get(status.team)
    if rule is None:
        return None
    account = rule.role_arn.split(":")[4] or CURRENT_ACCOUNT
    if not any(a.id == account for a in config.accounts):
        account = CURRENT_ACCOUNT
    role_name = rule.role_arn.rsplit("/", 1)[-1]
    return _finding(
        status,
        resource_id=rule.role_arn,
        resource_type="iam-role",
        region=config.regions[0],
        account=account,
        name=role_name,
        monthly_cost=Decimal(0),
        action="attach-deny-policy",
        details={"role_name": role_name, "policy_arn": rule.deny_policy_arn},
    )


def _stop_figures(services: Services) -> dict[tuple[str, str, str], Decimal]:
    """The stored `/rightsize` figure of every idle instance (account, region, id): what
    `/rightsize`, `/savings` and the digest say stopping it saves. As stored: a price,
    not a reason to read CloudWatch again."""
    listing = read_listing(services, kinds=[RIGHTSIZING], scope=ScanFilter())
    return {
        (f.account, f.region, f.resource_id): f.monthly_cost
        for f in listing.findings
        if f.kind == KIND_IDLE
    }


def stop_figure(figures: dict[tuple[str, str, str], Decimal], instance: Finding) -> Decimal | None:
    """What stopping one instance saves a month: the inventory's `/rightsize` figure when
    it holds one, else the same definition (its whole on-demand price) from the catalogue."""
    stored = figures.get((instance.account, instance.region, instance.resource_id))
    if stored is not None:
        return stored
    instance_type = instance.details.get("instance_type", "")
    return stop_proposal(default_catalogue(), instance.region, instance_type).saving


def stop_candidates(services: Services, status: BudgetStatus) -> tuple[list[Finding], list[str]]:
    """One stop proposal per account and region holding the team's running non-critical
    instances, from the inventory (the `tags` kind's instances, refreshed first only
    where due: no AWS call when it is fresh); and the places that could not be read.

    Each proposal's figure is the sum of what stopping its instances saves, the same
    figure `/rightsize` and `/savings` show for each of them."""
    config = services.config
    listing = tag_listing(services)
    problems = [
        f"{f.where}: {f.message}"
        for f in tag_failures(listing)
        if f.kind in (TAGS_KIND, "ec2-instance")
    ]
    figures = _stop_figures(services)
    findings = []
    for scan in listing.scans:
        running = [
            f
            for f in scan.findings
            if f.resource_type == "ec2-instance"
            and f.details.get("state") == "running"
            and stoppable_tags(config, f.tags, team=status.team)
        ]
        if not running:
            continue
        monthly = {f.resource_id: stop_figure(figures, f) for f in running}
        known = {i: str(m) for i, m in monthly.items() if m is not None}
        account, region = scan.key.account, scan.key.region
        findings.append(
            _finding(
                status,
                resource_id=f"budget-stop:{status.team}:{account}:{region}",
                resource_type="ec2-instances",
                region=region,
                account=account,
                name=f"{len(running)} instance(s)",
                monthly_cost=sum((Decimal(m) for m in known.values()), Decimal("0.00")),
                action="stop-instances",
                details={"instance_ids": sorted(monthly), "monthly": known},
            )
        )
    return findings, problems


def propose(services: Services, finding: Finding) -> tuple[CleanupRequest, bool]:
    """A pending request for `finding` by the bot; (request, False) when one is open."""
    ttl = timedelta(hours=services.config.remediation.request_ttl_hours)
    with services.db.session() as session:
        try:
            request = store.create_request(
                session, finding=finding, requested_by=store.BOT_ACTOR, now=services.now(), ttl=ttl
            )
        except store.AlreadyOpen as exc:
            return exc.existing, False
    return request, True


def auto_approve(services: Services, request: CleanupRequest) -> bool:
    """Approve as the bot (only when `budgets.auto` is set); whether it moved."""
    now = services.now()
    with services.db.session() as session:
        moved = store.transition(
            session,
            request.id,
            from_states=("pending",),
            to="approved",
            not_expired_at=now,
            decided_by=store.BOT_ACTOR,
            decided_at=now,
        )
        fresh = store.get_request(session, request.id)
        if moved and fresh is not None:
            store.append_event(
                session,
                fresh,
                "approved",
                actor=store.BOT_ACTOR,
                now=now,
                decided_by=store.BOT_ACTOR,
                role="budgets.auto",
            )
    return moved
