"""Registered actions proposed by the budget ladder (not by a scan): each re-checks its
target right before it runs, like the cleanup kinds do."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from bot.config import FinopsConfig
from bot.orphans.model import Finding, NotEligible, TargetContext, tag_dict
from bot.remediation.actions import CleanupAction, Outcome, Outcomes, action
from bot.remediation.steps import Step, StepRun


def _attach(run: StepRun) -> dict[str, Any]:
    role, policy = run.finding.details["role_name"], run.finding.details["policy_arn"]
    run.ctx.client("iam").attach_role_policy(RoleName=role, PolicyArn=policy)
    return {"attached": policy}


def _attached(run: StepRun) -> dict[str, Any] | None:
    role, policy = run.finding.details["role_name"], run.finding.details["policy_arn"]
    pages = (
        run.ctx.client("iam").get_paginator("list_attached_role_policies").paginate(RoleName=role)
    )
    attached = {p["PolicyArn"] for page in pages for p in page.get("AttachedPolicies", [])}
    return {"attached": policy} if policy in attached else None


def _stop_all(run: StepRun) -> dict[str, Any]:
    ids = list(run.finding.details["instance_ids"])
    run.ctx.client("ec2").stop_instances(InstanceIds=ids)
    return {"stopped": ids}


def _all_stopped(run: StepRun) -> dict[str, Any] | None:
    ids = list(run.finding.details["instance_ids"])
    reservations = run.ctx.paginate("ec2", "describe_instances", "Reservations", InstanceIds=ids)
    states = {
        i["InstanceId"]: i.get("State", {}).get("Name")
        for r in reservations
        for i in r.get("Instances", [])
    }
    done = all(states.get(i) in ("stopping", "stopped", None) for i in ids)
    return {"stopped": ids} if done else None


@action
class AttachDenyPolicy(CleanupAction):
    """Attach the team's configured deny policy (say, no new instance launches) to its role."""

    name = "attach-deny-policy"
    permissions = ("iam:GetRole", "iam:ListAttachedRolePolicies", "iam:AttachRolePolicy")

    def describe(self, finding: Finding) -> str:
        return (
            f"Attach deny policy `{finding.details.get('policy_arn')}` to role "
            f"`{finding.details.get('role_name')}` (team {finding.team})"
        )

    def recheck(self, ctx: TargetContext, finding: Finding) -> Finding:
        iam = ctx.client("iam")
        role, policy = finding.details["role_name"], finding.details["policy_arn"]
        try:
            iam.get_role(RoleName=role)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
                raise NotEligible(f"role `{role}` no longer exists") from None
            raise
        pages = iam.get_paginator("list_attached_role_policies").paginate(RoleName=role)
        attached = {p["PolicyArn"] for page in pages for p in page.get("AttachedPolicies", [])}
        if policy in attached:
            raise NotEligible(f"`{policy}` is already attached to role `{role}`")
        return finding

    def steps(self, finding: Finding) -> list[Step]:
        return [Step("attach", "AttachRolePolicy", _attach, _attached)]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        role, policy = finding.details["role_name"], finding.details["policy_arn"]
        return Outcome(
            f"deny policy `{policy}` attached to role `{role}` (detach it to lift the restriction)"
        )


@action
class StopInstances(CleanupAction):
    """Stop a team's running instances that are not tagged critical (they can be started)."""

    name = "stop-instances"
    permissions = ("ec2:DescribeInstances", "ec2:StopInstances")

    def describe(self, finding: Finding) -> str:
        ids = list(finding.details.get("instance_ids", []))
        shown = ", ".join(f"`{i}`" for i in ids[:10]) + (" …" if len(ids) > 10 else "")
        return (
            f"Stop {len(ids)} non-critical running instance(s) of team {finding.team} "
            f"in {finding.region}: {shown}"
        )

    def recheck(self, ctx: TargetContext, finding: Finding) -> Finding:
        ids = list(finding.details.get("instance_ids", []))
        reservations = (
            ctx.paginate("ec2", "describe_instances", "Reservations", InstanceIds=ids)
            if ids
            else []
        )
        keep = [
            i["InstanceId"]
            for r in reservations
            for i in r.get("Instances", [])
            if i.get("State", {}).get("Name") == "running"
            and stoppable(ctx, tag_dict(i.get("Tags")), team=finding.team)
        ]
        if not keep:
            raise NotEligible(
                "none of those instances is still running, the team's and non-critical"
            )
        finding.details = {**finding.details, "instance_ids": sorted(keep)}
        if "monthly" in finding.details:  # the figure of what is still to stop
            monthly = {i: m for i, m in finding.details["monthly"].items() if i in keep}
            finding.details["monthly"] = monthly
            finding.monthly_cost = sum((Decimal(m) for m in monthly.values()), Decimal("0.00"))
        return finding

    def steps(self, finding: Finding) -> list[Step]:
        return [Step("stop", "StopInstances", _stop_all, _all_stopped)]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        ids = list(finding.details["instance_ids"])
        return Outcome(
            f"{len(ids)} instance(s) stopped: {', '.join(ids)} "
            "(start them again when the budget allows)"
        )


def stoppable(ctx: TargetContext, tags: dict[str, str], *, team: str | None) -> bool:
    """The instance belongs to `team`, is not critical and not protected."""
    return stoppable_tags(ctx.config, tags, team=team)


def stoppable_tags(config: FinopsConfig, tags: dict[str, str], *, team: str | None) -> bool:
    """`stoppable` from the tags alone (the budget ladder reads them from the inventory)."""
    rule = config.budgets
    protected = tags.get(config.tags.protect, "").strip().lower() in ("true", "yes", "1")
    critical = tags.get(rule.critical_tag, "").strip().lower() in {
        v.lower() for v in rule.critical_values
    }
    return tags.get(config.tags.team) == team and not critical and not protected
