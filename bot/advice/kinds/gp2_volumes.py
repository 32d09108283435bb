"""gp2 volumes that cost less as gp3 (same size, at least the same performance)."""

from __future__ import annotations

from bot.advice import storage_volumes as volumes
from bot.findings.model import Finding, FindingKind, TargetContext, register


@register
class Gp2Volumes(FindingKind):
    """gp2 EBS volumes to move to gp3 in place."""

    name = volumes.KIND
    resource_type = "ebs-volume"
    title = "gp2 volumes to move to gp3"
    action = volumes.ACTION
    permissions = ("ec2:DescribeVolumes",)
    family = "storage"

    def scan(self, ctx: TargetContext) -> list[Finding]:
        return volumes.scan_volumes(ctx)

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        return volumes.recheck_volume(ctx, resource_id)
