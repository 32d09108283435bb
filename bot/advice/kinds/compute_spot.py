"""Auto Scaling groups and instances that could run (partly) on spot, by workload tag."""

from __future__ import annotations

from typing import Any

from bot.advice import compute_spot as spot
from bot.advice.catalogue import default_catalogue
from bot.findings.model import Finding, FindingKind, TargetContext, register


@register
class SpotCandidates(FindingKind):
    """Spot mixes for groups (an in-place change) and relaunch advice for instances."""

    name = "spot"
    resource_type = "auto-scaling-group"
    title = "Spot candidates"
    action = spot.ACTION
    permissions = (
        "autoscaling:DescribeAutoScalingGroups",
        "ec2:DescribeLaunchTemplateVersions",
        "autoscaling:DescribeLaunchConfigurations",
        "ec2:DescribeInstances",
    )
    family = "compute"
    emits = (spot.KIND_ASG, spot.KIND_INSTANCE)

    def scan_target(self, ctx: TargetContext) -> tuple[list[Finding], dict[str, Any]]:
        found = spot.scan_spot(ctx, default_catalogue())
        return found.findings, {
            "on_demand": [f.to_json() for f in found.on_demand],
            "untagged": [list(pair) for pair in found.untagged],
        }

    def scan(self, ctx: TargetContext) -> list[Finding]:
        return self.scan_target(ctx)[0]

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        return spot.recheck_asg(ctx, resource_id, default_catalogue())
