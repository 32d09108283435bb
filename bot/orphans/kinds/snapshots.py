"""Old EBS snapshots whose source volume is gone and that no registered AMI uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.findings.model import (
    RESTORE_UNTIL_TAG,
    Finding,
    FindingKind,
    NotEligible,
    TargetContext,
    register,
    tag_dict,
)


def _volume_ids(ctx: TargetContext) -> set[str]:
    return {v["VolumeId"] for v in ctx.volumes()}


def _ami_snapshot_ids(ctx: TargetContext) -> set[str]:
    def load() -> set[str]:
        images = ctx.paginate("ec2", "describe_images", "Images", Owners=["self"])
        return {
            m["Ebs"]["SnapshotId"]
            for image in images
            for m in image.get("BlockDeviceMappings", [])
            if m.get("Ebs", {}).get("SnapshotId")
        }

    return ctx.cached("ami_snapshots", load)


@register
class OrphanedSnapshots(FindingKind):
    """Snapshots older than `remediation.snapshot_age_days` (default 90) with no source
    volume and no AMI using them. The bot's own pre-delete snapshots are left alone while
    their restore window is open."""

    name = "snapshot"
    resource_type = "ebs-snapshot"
    title = "Old snapshots of deleted volumes"
    action = "delete-snapshot"
    permissions = ("ec2:DescribeSnapshots", "ec2:DescribeVolumes", "ec2:DescribeImages")

    def _why_not(
        self, ctx: TargetContext, snapshot: dict[str, Any], volumes: set[str], amis: set[str]
    ) -> str | None:
        snapshot_id = snapshot["SnapshotId"]
        if snapshot.get("VolumeId") in volumes:
            return f"snapshot {snapshot_id}'s source volume {snapshot['VolumeId']} still exists"
        if snapshot_id in amis:
            return f"snapshot {snapshot_id} is used by a registered AMI"
        until = tag_dict(snapshot.get("Tags")).get(RESTORE_UNTIL_TAG, "")
        open_until = _parse(until)
        if open_until is not None and open_until > ctx.now:
            return f"snapshot {snapshot_id} backs a restore window open until {until}"
        age = ctx.age_days(snapshot.get("StartTime")) or 0
        threshold = ctx.config.remediation.snapshot_age_days
        if age < threshold:
            return f"snapshot {snapshot_id} is {age} days old (threshold {threshold})"
        return None

    def _finding(self, ctx: TargetContext, snapshot: dict[str, Any]) -> Finding:
        size = int(snapshot.get("VolumeSize", 0))
        estimate = ctx.prices.snapshot(ctx.region, size)
        return ctx.finding(
            self,
            resource_id=snapshot["SnapshotId"],
            tags=tag_dict(snapshot.get("Tags")),
            size=f"{size} GiB snapshot",
            age_days=ctx.age_days(snapshot.get("StartTime")),
            monthly_cost=estimate.monthly,
            approximate=estimate.approximate,
            reason=f"source volume {snapshot.get('VolumeId') or '?'} is gone; no AMI uses it",
            details={
                "volume_id": snapshot.get("VolumeId"),
                "size_gb": size,
                "description": snapshot.get("Description", ""),
            },
        )

    def scan(self, ctx: TargetContext) -> list[Finding]:
        snapshots = ctx.snapshots()
        if not snapshots:
            return []  # nothing to check against volumes and AMIs
        amis = _ami_snapshot_ids(ctx)  # while another kind may still be listing the volumes
        volumes = _volume_ids(ctx)
        return [
            self._finding(ctx, s) for s in snapshots if self._why_not(ctx, s, volumes, amis) is None
        ]

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        try:
            found = ctx.client("ec2").describe_snapshots(SnapshotIds=[resource_id])["Snapshots"]
        except ClientError as exc:
            if "NotFound" in exc.response.get("Error", {}).get("Code", ""):
                raise NotEligible(f"snapshot {resource_id} no longer exists") from None
            raise
        if not found:
            raise NotEligible(f"snapshot {resource_id} no longer exists")
        reason = self._why_not(ctx, found[0], _volume_ids(ctx), _ami_snapshot_ids(ctx))
        if reason:
            raise NotEligible(reason)
        return self._finding(ctx, found[0])


def _parse(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
