"""EBS volumes attached to nothing (`available`): they bill every GB-month."""

from __future__ import annotations

from typing import Any

from bot.findings.model import Finding, FindingKind, NotEligible, TargetContext, register, tag_dict


def volume_finding(kind: FindingKind, ctx: TargetContext, volume: dict[str, Any]) -> Finding:
    """A finding for one unattached volume."""
    size = int(volume.get("Size", 0))
    volume_type = str(volume.get("VolumeType", "gp2"))
    iops = int(volume.get("Iops") or 0)
    throughput = int(volume.get("Throughput") or 0)
    estimate = ctx.prices.volume(ctx.region, volume_type, size, iops, throughput)
    return ctx.finding(
        kind,
        resource_id=volume["VolumeId"],
        tags=tag_dict(volume.get("Tags")),
        size=f"{size} GiB {volume_type}",
        age_days=ctx.age_days(volume.get("CreateTime")),
        monthly_cost=estimate.monthly,
        approximate=estimate.approximate,
        reason="not attached to any instance",
        details={
            "availability_zone": volume.get("AvailabilityZone"),
            "size_gb": size,
            "volume_type": volume_type,
            "iops": iops or None,
            "throughput": throughput or None,
            "encrypted": bool(volume.get("Encrypted")),
            "kms_key_id": volume.get("KmsKeyId"),
        },
    )


@register
class UnattachedVolumes(FindingKind):
    """EBS volumes in the `available` state."""

    name = "volume"
    resource_type = "ebs-volume"
    title = "Unattached EBS volumes"
    action = "snapshot-and-delete-volume"
    permissions = ("ec2:DescribeVolumes",)

    def scan(self, ctx: TargetContext) -> list[Finding]:
        return [
            volume_finding(self, ctx, v) for v in ctx.volumes() if v.get("State") == "available"
        ]

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        volumes = ctx.client("ec2").describe_volumes(
            Filters=[{"Name": "volume-id", "Values": [resource_id]}]
        )["Volumes"]
        if not volumes:
            raise NotEligible(f"volume {resource_id} no longer exists")
        volume = volumes[0]
        if volume.get("State") != "available":
            attached = ", ".join(a.get("InstanceId", "?") for a in volume.get("Attachments", []))
            where = f" (attached to {attached})" if attached else ""
            raise NotEligible(f"volume {resource_id} is now {volume.get('State')}{where}")
        return volume_finding(self, ctx, volume)
