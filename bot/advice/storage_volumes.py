"""gp2 EBS volumes → gp3: same size, about 20 % cheaper per GB-month.

gp3 includes 3,000 IOPS; a gp2 volume over 1,000 GiB has a higher baseline (3 IOPS per
GiB, at most 16,000), so the proposal keeps that baseline by provisioning the extra IOPS,
and prices them in.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.findings.model import Finding, FindingKind, NotEligible, TargetContext, tag_dict

KIND = "gp2-volume"
ACTION = "modify-volume-gp3"
GP3_INCLUDED_IOPS = 3000


def gp2_baseline_iops(size_gb: int) -> int:
    """gp2's baseline: 3 IOPS per GiB, at least 100, at most 16,000."""
    return min(max(100, 3 * size_gb), 16000)


def gp3_iops_for(size_gb: int) -> int:
    """The gp3 IOPS that keep a gp2 volume's baseline (3,000 are included)."""
    return max(GP3_INCLUDED_IOPS, gp2_baseline_iops(size_gb))


def volume_advice(ctx: TargetContext, volume: dict[str, Any]) -> Finding:
    """The gp3 proposal for one gp2 volume, with its monthly saving."""
    size = int(volume.get("Size", 0))
    iops = gp3_iops_for(size)
    now = ctx.prices.volume(ctx.region, "gp2", size)
    after = ctx.prices.volume(ctx.region, "gp3", size, iops=iops)
    state = str(volume.get("State", ""))
    attached = ", ".join(a.get("InstanceId", "?") for a in volume.get("Attachments", []))
    reason = (
        f"gp2 at {format_rate(now.monthly)}/month; gp3 of the same size costs "
        f"{format_rate(after.monthly)}"
    )
    if iops > GP3_INCLUDED_IOPS:
        reason += f" (with {iops:,} IOPS to keep gp2's baseline)"
    return ctx.finding(
        _KIND,
        resource_id=volume["VolumeId"],
        tags=tag_dict(volume.get("Tags")),
        size=f"{size} GiB gp2",
        age_days=None,
        monthly_cost=max(Decimal("0.00"), now.monthly - after.monthly),
        approximate=now.approximate or after.approximate,
        reason=reason,
        details={
            "size_gb": size,
            "iops": iops,
            "state": state,
            "attached_to": attached or None,
            "current_monthly": str(now.monthly),
            "proposed_monthly": str(after.monthly),
        },
    )


def format_rate(amount: Decimal) -> str:
    """`$10.00` (kept local so this module needs nothing from rendering)."""
    return f"${amount:,.2f}"


class _Gp2Kind(FindingKind):
    """What `TargetContext.finding` reads (advice, not waste: never in the KINDS registry)."""

    name = KIND
    resource_type = "ebs-volume"
    title = "gp2 volumes to move to gp3"
    action = ACTION
    permissions = ("ec2:DescribeVolumes",)


_KIND = _Gp2Kind()


def scan_volumes(ctx: TargetContext) -> list[Finding]:
    """Every gp2 volume in the context's account and region (from the target's one shared
    volume listing, which the waste kinds read too)."""
    return [volume_advice(ctx, v) for v in ctx.volumes() if v.get("VolumeType") == "gp2"]


def recheck_volume(ctx: TargetContext, volume_id: str) -> Finding:
    """The proposal as it stands now; NotEligible when the volume is gone or not gp2."""
    volumes = ctx.client("ec2").describe_volumes(
        Filters=[{"Name": "volume-id", "Values": [volume_id]}]
    )["Volumes"]
    if not volumes:
        raise NotEligible(f"volume {volume_id} no longer exists")
    volume = volumes[0]
    if volume.get("VolumeType") != "gp2":
        raise NotEligible(f"volume {volume_id} is already {volume.get('VolumeType')}")
    return volume_advice(ctx, volume)
