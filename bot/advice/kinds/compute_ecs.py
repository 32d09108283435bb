"""ECS clusters with more nodes than they reserve, and Fargate services cheaper on EC2."""

from __future__ import annotations

from typing import Any

from bot.advice import compute_ecs as ecs
from bot.advice.catalogue import default_catalogue
from bot.findings.model import Finding, FindingKind, TargetContext, register


@register
class EcsCapacity(FindingKind):
    """Over-provisioned EC2-backed clusters (an in-place change) and Fargate comparisons."""

    name = "ecs"
    resource_type = "ecs-cluster"
    title = "ECS capacity"
    action = ecs.ACTION_ECS
    permissions = (
        "ecs:ListClusters",
        "ecs:DescribeClusters",
        "ecs:ListContainerInstances",
        "ecs:DescribeContainerInstances",
        "ecs:ListServices",
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "cloudwatch:GetMetricData",
    )
    family = "compute"
    refresh = "metrics"
    metrics_per_resource = 2
    emits = (ecs.KIND_ECS, ecs.KIND_FARGATE)

    def scan_target(self, ctx: TargetContext) -> tuple[list[Finding], dict[str, Any]]:
        scanned = ecs.scan_ecs(ctx, default_catalogue())
        return scanned.findings, {
            "no_data": [f.to_json() for f in scanned.no_data],
            "notes": [list(pair) for pair in scanned.notes],
        }

    def scan(self, ctx: TargetContext) -> list[Finding]:
        return self.scan_target(ctx)[0]

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        return ecs.recheck_cluster(ctx, resource_id, default_catalogue())
