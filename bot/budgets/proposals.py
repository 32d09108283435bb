"""The ladder's proposals as cleanup requests: same approval, audit and at-most-once
machinery as waste cleanups (bot.remediation), with the budget actions' own re-checks."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from bot.aws import CURRENT_ACCOUNT, describe_aws_error
from bot.budgets.status import BudgetStatus
from bot.findings.model import Finding, tag_dict
from bot.findings.scope import target_context
from bot.formatting import money, pct
from bot.remediation import requests as store
from bot.remediation.budget_actions import stoppable
from bot.services import Services
from storage.models_remediation import CleanupRequest

log = logging.getLogger(__name__)
KIND = "budget"


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


def stop_candidates(services: Services, status: BudgetStatus) -> tuple[list[Finding], list[str]]:
    """One stop proposal per account and region holding the team's running non-critical
    instances; and the places that could not be read."""
    config, findings, problems = services.config, [], []
    for target in services.aws.targets():
        ctx = target_context(
            services.aws, config, account=target.account, region=target.region, now=services.now()
        )
        try:
            reservations = ctx.paginate(
                "ec2",
                "describe_instances",
                "Reservations",
                Filters=[
                    {"Name": f"tag:{config.tags.team}", "Values": [status.team]},
                    {"Name": "instance-state-name", "Values": ["running"]},
                ],
            )
        except Exception as exc:
            problems.append(f"{target.region}: {describe_aws_error(exc)}")
            continue
        ids = sorted(
            i["InstanceId"]
            for r in reservations
            for i in r.get("Instances", [])
            if stoppable(ctx, tag_dict(i.get("Tags")), team=status.team)
        )
        if ids:
            findings.append(
                _finding(
                    status,
                    resource_id=f"budget-stop:{status.team}:{target.account}:{target.region}",
                    resource_type="ec2-instances",
                    region=target.region,
                    account=target.account,
                    name=f"{len(ids)} instance(s)",
                    monthly_cost=Decimal(0),
                    action="stop-instances",
                    details={"instance_ids": ids},
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
