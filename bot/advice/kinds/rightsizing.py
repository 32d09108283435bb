"""Idle and oversized EC2 instances, from their CPU over the look-back window."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.advice import rightsizing as advice
from bot.findings.model import Finding, FindingKind, NotEligible, TargetContext, register


@register
class Rightsizing(FindingKind):
    """Running instances to stop (idle) or downsize (oversized)."""

    name = "rightsizing"
    resource_type = "ec2-instance"
    title = "Instances to stop or downsize"
    action = advice.ACTION_STOP
    actions = (advice.ACTION_STOP, advice.ACTION_TERMINATE, advice.ACTION_CHANGE)
    permissions = advice.PERMISSIONS
    family = "rightsize"
    refresh = "metrics"
    metrics_per_resource = 1
    emits = (advice.KIND_IDLE, advice.KIND_OVERSIZED)

    def scan_target(self, ctx: TargetContext) -> tuple[list[Finding], dict[str, Any]]:
        findings, no_data, instances = advice.scan_instances(ctx)
        return findings, {"no_data": [asdict(n) for n in no_data], "instances": instances}

    def scan(self, ctx: TargetContext) -> list[Finding]:
        return self.scan_target(ctx)[0]

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        try:
            return advice.recheck_instance(
                ctx, resource_id, kind=advice.KIND_IDLE, instance_type=None
            )
        except NotEligible:
            return advice.recheck_instance(
                ctx, resource_id, kind=advice.KIND_OVERSIZED, instance_type=None
            )
