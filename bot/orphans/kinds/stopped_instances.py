"""Instances stopped for a long time: no compute charge, but their EBS volumes still bill."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.findings.model import Finding, FindingKind, NotEligible, TargetContext, register, tag_dict
from bot.findings.prices import Estimate

#: AWS: "User initiated (2024-01-31 12:00:00 GMT)"; moto writes UTC instead of GMT.
_STOPPED_AT = re.compile(r"\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?:GMT|UTC)\)")


def stopped_at(instance: dict[str, Any]) -> datetime | None:
    """When the instance was stopped, from its state transition reason."""
    match = _STOPPED_AT.search(instance.get("StateTransitionReason") or "")
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


@register
class LongStoppedInstances(FindingKind):
    """Instances stopped for at least `remediation.stopped_instance_days` (default 30)."""

    name = "stopped-instance"
    resource_type = "ec2-instance"
    title = "Instances stopped for a long time"
    action = "image-and-terminate-instance"
    permissions = ("ec2:DescribeInstances", "ec2:DescribeVolumes")

    def _finding(self, ctx: TargetContext, instance: dict[str, Any]) -> Finding:
        instance_id = instance["InstanceId"]
        volumes = [
            v
            for v in ctx.volumes()
            if any(a.get("InstanceId") == instance_id for a in v.get("Attachments", []))
        ]
        estimate = Estimate(Decimal("0.00"), ctx.region not in ctx.prices.regions)
        for volume in volumes:
            estimate = estimate + ctx.prices.volume(
                ctx.region,
                str(volume.get("VolumeType", "gp2")),
                int(volume.get("Size", 0)),
                int(volume.get("Iops") or 0),
                int(volume.get("Throughput") or 0),
            )
        total_gb = sum(int(v.get("Size", 0)) for v in volumes)
        since = stopped_at(instance)
        return ctx.finding(
            self,
            resource_id=instance_id,
            tags=tag_dict(instance.get("Tags")),
            size=f"{instance.get('InstanceType', '?')}, {len(volumes)} volume(s), {total_gb} GiB",
            age_days=ctx.age_days(since),
            monthly_cost=estimate.monthly,
            approximate=estimate.approximate,
            reason="stopped; its volumes still bill",
            details={
                "instance_type": instance.get("InstanceType"),
                "stopped_at": since.isoformat() if since else None,
                "volume_ids": [v["VolumeId"] for v in volumes],
            },
        )

    def _why_not(self, ctx: TargetContext, instance: dict[str, Any]) -> str | None:
        state = instance.get("State", {}).get("Name")
        instance_id = instance["InstanceId"]
        if state != "stopped":
            return f"instance {instance_id} is now {state}"
        since = stopped_at(instance)
        days = ctx.age_days(since)
        threshold = ctx.config.remediation.stopped_instance_days
        if days is None:
            return f"instance {instance_id}: when it stopped is unknown"
        if days < threshold:
            return f"instance {instance_id} has been stopped {days} days (threshold {threshold})"
        return None

    def scan(self, ctx: TargetContext) -> list[Finding]:
        stopped = ctx.instances("stopped")
        return [self._finding(ctx, i) for i in stopped if self._why_not(ctx, i) is None]

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        reservations = ctx.client("ec2").describe_instances(
            Filters=[{"Name": "instance-id", "Values": [resource_id]}]
        )["Reservations"]
        instances = [i for r in reservations for i in r.get("Instances", [])]
        if not instances:
            raise NotEligible(f"instance {resource_id} no longer exists")
        reason = self._why_not(ctx, instances[0])
        if reason:
            raise NotEligible(reason)
        return self._finding(ctx, instances[0])
