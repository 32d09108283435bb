"""`/rightsize`: running EC2 instances whose CPU over the look-back window says they idle
(stop, or terminate where the team allows it) or are oversized (the next smaller size in
the family), priced with the instance catalogue; and requesting one of those changes
through the cleanup approval flow (bot.remediation).

CPU comes from CloudWatch as hourly averages, one GetMetricData query per instance, in
batches of up to 500 queries per call (bot.advice.metrics); average and p95 are computed
from those hourly points.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.advice import rightsizing_rules as rules
from bot.advice.catalogue import default_catalogue
from bot.advice.metrics import MetricQuery, Utilization, fetch_hourly, summarize
from bot.aws import Target, describe_aws_error
from bot.findings.model import Finding, FindingKind, NotEligible, TargetContext, tag_dict
from bot.findings.scope import ScanFailure, ScanFilter
from bot.services import Services

if TYPE_CHECKING:  # the service imports the actions, whose module imports this one
    pass

log = logging.getLogger(__name__)
MAX_WORKERS = 16

KIND_IDLE = "idle-instance"
KIND_OVERSIZED = "oversized-instance"
ACTION_STOP = "rightsize-stop-instance"
ACTION_TERMINATE = "rightsize-image-and-terminate-instance"
ACTION_CHANGE = "rightsize-change-instance-type"
PERMISSIONS = ("ec2:DescribeInstances", "cloudwatch:GetMetricData")
#: The tag AWS puts on instances an Auto Scaling group launched.
ASG_TAG = "aws:autoscaling:groupName"


class _IdleKind(FindingKind):
    """What `TargetContext.finding` reads (advice: never in the orphans KINDS registry)."""

    name = KIND_IDLE
    resource_type = "ec2-instance"
    title = "Idle instances to stop"
    action = ACTION_STOP
    permissions = PERMISSIONS


class _OversizedKind(FindingKind):
    """What `TargetContext.finding` reads for a downsize proposal."""

    name = KIND_OVERSIZED
    resource_type = "ec2-instance"
    title = "Oversized instances to downsize"
    action = ACTION_CHANGE
    permissions = PERMISSIONS


KINDS: dict[str, FindingKind] = {KIND_IDLE: _IdleKind(), KIND_OVERSIZED: _OversizedKind()}


@dataclass(frozen=True)
class NoData:
    """A running instance with no (or too little) CPU history: neither idle nor busy."""

    instance_id: str
    name: str
    instance_type: str
    region: str
    account: str
    team: str | None
    hours: int
    group: str | None = None  # the Auto Scaling group that launched it, if any

    @property
    def label(self) -> str:
        """`no data` or `not enough data (12 h)`."""
        return "no data" if self.hours == 0 else f"not enough data ({self.hours} h)"


@dataclass
class RightsizeReport:
    """Recommendations (largest saving first), instances without data, what failed."""

    findings: list[Finding] = field(default_factory=list)
    no_data: list[NoData] = field(default_factory=list)
    failures: list[ScanFailure] = field(default_factory=list)
    instances: int = 0  # running instances looked at

    @property
    def total(self) -> Decimal:
        """Monthly saving of every recommendation the bot can carry out (not protected,
        not in an Auto Scaling group)."""
        return sum((f.monthly_cost for f in self.findings if f.action is not None), Decimal("0.00"))


def cpu_query(instance_id: str) -> MetricQuery:
    """The hourly CPUUtilization average of one instance."""
    return MetricQuery(instance_id, "AWS/EC2", "CPUUtilization", {"InstanceId": instance_id})


def cpu_window(ctx: TargetContext) -> tuple[datetime, datetime]:
    """The look-back window ending now, starting on an hour (so it holds whole hours)."""
    hour = ctx.now.replace(minute=0, second=0, microsecond=0)
    return hour - timedelta(days=ctx.config.rightsizing.lookback_days), ctx.now


def cpu_by_instance(
    cloudwatch: Any, instance_ids: list[str], *, start: datetime, end: datetime
) -> dict[str, Utilization | None]:
    """CPU summary per instance, in ceil(n / 500) GetMetricData calls."""
    series = fetch_hourly(cloudwatch, [cpu_query(i) for i in instance_ids], start=start, end=end)
    return {i: summarize(series.get(i, [])) for i in instance_ids}


def _figures(utilization: Utilization) -> str:
    return (
        f"CPU avg {utilization.average:.1f} % · p95 {utilization.p95:.1f} % · "
        f"max {utilization.maximum:.1f} % over {utilization.hours} h"
    )


def build_finding(
    ctx: TargetContext, instance: dict[str, Any], utilization: Utilization, kind: str
) -> Finding:
    """The recommendation of `kind` for one instance, priced from the catalogue."""
    catalogue = default_catalogue()
    instance_type = str(instance.get("InstanceType", ""))
    tags = tag_dict(instance.get("Tags"))
    team = tags.get(ctx.config.tags.team)
    if kind == KIND_IDLE:
        proposal = rules.stop_proposal(catalogue, ctx.region, instance_type)
        terminate = bool(team in ctx.config.teams and ctx.config.teams[team].allow_terminate)
        verb = "terminate (AMI first)" if terminate else "stop"
        reason = f"idle: {_figures(utilization)}; {verb} it"
        if not terminate:
            reason += " (its EBS volumes keep costing)"
    else:
        proposal = rules.downsize_proposal(catalogue, ctx.region, instance_type)
        terminate = False
        reason = f"oversized: {_figures(utilization)}"
        if proposal.proposed_type:
            reason += f"; {proposal.proposed_type} is the next smaller size"
    if proposal.note:
        reason += (
            f"; {instance_type} is {proposal.note}"
            if proposal.note == rules.SMALLEST
            else f"; {instance_type} is {proposal.note}, so no saving is shown"
        )
    group = tags.get(ASG_TAG)
    if group:
        reason += (
            f"; launched by Auto Scaling group {group}: change the group's launch "
            "template or size instead"
        )
    finding = ctx.finding(
        KINDS[kind],
        resource_id=str(instance["InstanceId"]),
        tags=tags,
        size=instance_type,
        age_days=None,
        monthly_cost=proposal.saving if proposal.saving is not None else Decimal("0.00"),
        approximate=proposal.approximate,
        reason=reason,
        details={
            "instance_type": instance_type,
            "proposed_type": proposal.proposed_type,
            "average": round(utilization.average, 2),
            "p95": round(utilization.p95, 2),
            "maximum": round(utilization.maximum, 2),
            "hours": utilization.hours,
            "current_monthly": _money(proposal.current_monthly),
            "proposed_monthly": _money(proposal.proposed_monthly),
            "saving_known": proposal.saving is not None,
            "note": proposal.note,
            "catalogue_as_of": catalogue.as_of,
            "lookback_days": ctx.config.rightsizing.lookback_days,
            "auto_scaling_group": group,
        },
    )
    if finding.action is not None:
        if group:
            finding.action = None  # the group would replace or resize it: no button
        elif kind == KIND_IDLE and terminate:
            finding.action = ACTION_TERMINATE
        elif kind == KIND_OVERSIZED and proposal.proposed_type is None:
            finding.action = None  # nothing smaller to offer (not protected)
    return finding


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def advise(
    ctx: TargetContext, instance: dict[str, Any], utilization: Utilization | None
) -> Finding | NoData | None:
    """A recommendation, a no-data entry, or None (the instance is busy enough)."""
    verdict = rules.classify(utilization, ctx.config.rightsizing)
    if verdict in (rules.Verdict.NO_DATA, rules.Verdict.NOT_ENOUGH_DATA):
        tags = tag_dict(instance.get("Tags"))
        return NoData(
            str(instance["InstanceId"]),
            tags.get("Name", ""),
            str(instance.get("InstanceType", "")),
            ctx.region,
            ctx.account,
            tags.get(ctx.config.tags.team) or None,
            utilization.hours if utilization else 0,
            tags.get(ASG_TAG),
        )
    if verdict == rules.Verdict.FINE or utilization is None:
        return None
    return build_finding(
        ctx, instance, utilization, KIND_IDLE if verdict == rules.Verdict.IDLE else KIND_OVERSIZED
    )


def running_instances(
    ctx: TargetContext, instance_ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """Running instances of the context's account and region (optionally only these, read
    live; all of them come from the target's one shared instance listing)."""
    if not instance_ids:
        return ctx.instances("running")
    filters = [
        {"Name": "instance-state-name", "Values": ["running"]},
        {"Name": "instance-id", "Values": instance_ids},
    ]
    reservations = ctx.paginate("ec2", "describe_instances", "Reservations", Filters=filters)
    return [i for r in reservations for i in r.get("Instances", [])]


def scan_instances(ctx: TargetContext) -> tuple[list[Finding], list[NoData], dict[str, int]]:
    """Recommendations and no-data entries for one account and region, and how many ran
    per team (team tag; "" when untagged)."""
    instances = running_instances(ctx)
    if not instances:
        return [], [], {}
    start, end = cpu_window(ctx)
    cpu = cpu_by_instance(
        ctx.client("cloudwatch"), [str(i["InstanceId"]) for i in instances], start=start, end=end
    )
    findings: list[Finding] = []
    no_data: list[NoData] = []
    for instance in instances:
        advice = advise(ctx, instance, cpu.get(str(instance["InstanceId"])))
        if isinstance(advice, Finding):
            findings.append(advice)
        elif isinstance(advice, NoData):
            no_data.append(advice)
    teams: dict[str, int] = {}
    for instance in instances:
        team = tag_dict(instance.get("Tags")).get(ctx.config.tags.team) or ""
        teams[team] = teams.get(team, 0) + 1
    return findings, no_data, teams


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Largest saving first; recommendations without a $ figure last."""
    return sorted(
        findings,
        key=lambda f: (
            not f.details.get("saving_known", True),
            -f.monthly_cost,
            f.region,
            f.resource_id,
        ),
    )


def scan_rightsizing(
    services: Services, scope: ScanFilter | None = None, *, max_workers: int = MAX_WORKERS
) -> RightsizeReport:
    """Rightsizing advice for every (selected) account and region; never raises for AWS
    errors (a failing target becomes a ScanFailure)."""
    from bot.advice.common import advice_contexts

    scope = scope or ScanFilter()
    report = RightsizeReport()
    contexts = advice_contexts(services, scope)
    if not contexts:
        return report

    def run(
        target: Target,
    ) -> tuple[list[Finding], list[NoData], dict[str, int], ScanFailure | None]:
        ctx = contexts[target]
        try:
            return (*scan_instances(ctx), None)
        except Exception as exc:  # one target failing must not sink the report
            log.warning("rightsizing scan of %s/%s failed: %s", target.account, target.region, exc)
            return (
                [],
                [],
                {},
                ScanFailure(target.account, target.region, "instances", describe_aws_error(exc)),
            )

    with ThreadPoolExecutor(max_workers=min(max_workers, len(contexts))) as pool:
        for findings, no_data, count, failure in pool.map(run, contexts):
            report.findings += [f for f in findings if scope.keeps(f)]
            report.no_data += [n for n in no_data if scope.team is None or n.team == scope.team]
            # Instances of the team asked about, not of every team.
            report.instances += (
                sum(count.values()) if scope.team is None else count.get(scope.team, 0)
            )
            if failure is not None:
                report.failures.append(failure)
    report.findings = sort_findings(report.findings)
    report.no_data.sort(key=lambda n: (n.region, n.instance_id))
    return report


def recheck_instance(
    ctx: TargetContext, instance_id: str, *, kind: str, instance_type: str | None
) -> Finding:
    """The recommendation of `kind` as it stands now (one DescribeInstances, one
    GetMetricData); NotEligible when the instance is gone, not running, of another type
    than `instance_type`, or no longer under the threshold."""
    if kind not in KINDS:
        raise NotEligible(f"unknown kind of rightsizing advice {kind!r}")
    described = ctx.client("ec2").describe_instances(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}]
    )["Reservations"]
    instances = [i for r in described for i in r.get("Instances", [])]
    if not instances:
        raise NotEligible(f"instance {instance_id} no longer exists")
    instance = instances[0]
    state = instance.get("State", {}).get("Name", "?")
    if state != "running":
        raise NotEligible(f"instance {instance_id} is {state}, not running")
    current = str(instance.get("InstanceType", ""))
    if instance_type and current != instance_type:
        raise NotEligible(f"instance {instance_id} is now {current}, not {instance_type}")
    start, end = cpu_window(ctx)
    utilization = cpu_by_instance(ctx.client("cloudwatch"), [instance_id], start=start, end=end)[
        instance_id
    ]
    limits = ctx.config.rightsizing
    verdict = rules.classify(utilization, limits)
    if utilization is None or verdict in (rules.Verdict.NO_DATA, rules.Verdict.NOT_ENOUGH_DATA):
        raise NotEligible(f"instance {instance_id} has too little CPU data now")
    if kind == KIND_IDLE and not rules.is_idle(utilization.average, utilization.p95, limits):
        raise NotEligible(f"instance {instance_id} is no longer idle ({_figures(utilization)})")
    if kind == KIND_OVERSIZED and not rules.is_oversized(utilization.average, limits):
        raise NotEligible(
            f"instance {instance_id} is no longer under "
            f"{limits.downsize_avg_pct} % CPU ({_figures(utilization)})"
        )
    return build_finding(ctx, instance, utilization, kind)
