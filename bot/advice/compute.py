"""`/compute`: spot advice by workload tag, ECS clusters with too many nodes and Fargate
services cheaper on EC2, across every configured account and region; and requesting the
in-place changes (ASG → spot mix, ECS ASG → fewer nodes) through the approval flow."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from bot.advice import compute_ecs as ecs
from bot.advice import compute_spot as spot
from bot.advice.catalogue import InstanceCatalogue, default_catalogue
from bot.advice.common import advice_contexts
from bot.advice.precedence import total_saving
from bot.aws import describe_aws_error
from bot.findings.model import Finding, NotEligible, TargetContext
from bot.findings.scope import ScanFailure, ScanFilter
from bot.services import Services

log = logging.getLogger(__name__)
MAX_WORKERS = 16

#: Each kind of compute advice with a button, and how to look at it again right now.
RECHECKS: dict[str, Callable[..., Finding]] = {
    spot.KIND_ASG: spot.recheck_asg,
    ecs.KIND_ECS: ecs.recheck_cluster,
}
#: Kinds that are advice only (a relaunch or deploy change).
ADVISORY = (spot.KIND_INSTANCE, ecs.KIND_FARGATE)


@dataclass
class ComputeReport:
    """Recommendations (largest saving first), what stays on-demand and why, resources with
    no workload tag, ECS clusters without data, Fargate services compared but kept, and
    what could not be scanned."""

    findings: list[Finding] = field(default_factory=list)
    on_demand: list[Finding] = field(default_factory=list)
    no_data: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    untagged: list[str] = field(default_factory=list)
    failures: list[ScanFailure] = field(default_factory=list)

    @property
    def untagged_count(self) -> int:
        """Instances and ASGs without the workload tag."""
        return len(self.untagged)

    @property
    def total(self) -> Decimal:
        """Monthly saving of every recommendation (not protected, not an alternative)."""
        return total_saving(self.findings)

    def of_kind(self, *kinds: str) -> list[Finding]:
        """The recommendations of these kinds."""
        return [f for f in self.findings if f.kind in kinds]


def _sort(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.monthly_cost, f.region, f.resource_id))


def _scan_target(
    ctx: TargetContext, part: str, catalogue: InstanceCatalogue, scope: ScanFilter
) -> ComputeReport:
    report = ComputeReport()
    if part == "spot":
        found = spot.scan_spot(ctx, catalogue)
        report.findings = [f for f in found.findings if scope.keeps(f)]
        report.on_demand = [f for f in found.on_demand if scope.keeps(f)]
        report.untagged = [
            r for r, team in found.untagged if scope.team is None or team == scope.team
        ]
    else:
        scanned = ecs.scan_ecs(ctx, catalogue)
        report.findings = [f for f in scanned.findings if scope.keeps(f)]
        report.no_data = [f for f in scanned.no_data if scope.keeps(f)]
        report.notes = [
            line for team, line in scanned.notes if scope.team is None or team == scope.team
        ]
    return report


def scan_compute(
    services: Services,
    scope: ScanFilter | None = None,
    *,
    catalogue: InstanceCatalogue | None = None,
    max_workers: int = MAX_WORKERS,
) -> ComputeReport:
    """Compute advice for every (selected) account and region; never raises for AWS errors."""
    scope = scope or ScanFilter()
    catalogue = catalogue or default_catalogue()
    report = ComputeReport()
    jobs = [
        (t.account, t.region, part, ctx)
        for t, ctx in advice_contexts(services, scope).items()
        for part in ("spot", "ecs")
    ]
    if not jobs:
        return report

    def run(job: tuple[str, str, str, TargetContext]) -> ComputeReport:
        account, region, part, ctx = job
        try:
            return _scan_target(ctx, part, catalogue, scope)
        except Exception as exc:  # one target failing must not sink the report
            log.warning("compute scan (%s) of %s/%s failed: %s", part, account, region, exc)
            return ComputeReport(
                failures=[ScanFailure(account, region, part, describe_aws_error(exc))]
            )

    with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs))) as pool:
        for part in pool.map(run, jobs):
            report.findings += part.findings
            report.on_demand += part.on_demand
            report.no_data += part.no_data
            report.notes += part.notes
            report.untagged += part.untagged
            report.failures += part.failures
    report.findings = _sort(report.findings)
    report.on_demand = sorted(
        report.on_demand,
        key=lambda f: (f.resource_type != "auto-scaling-group", f.region, f.resource_id),
    )  # ASGs first
    return report


def _actionable(finding: Finding) -> Finding:
    """The finding, or NotEligible (with its reason) when it can only be done by hand."""
    if finding.action is None and not finding.protected:
        raise NotEligible(finding.reason)
    return finding
