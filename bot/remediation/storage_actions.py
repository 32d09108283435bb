"""Registered actions proposed by storage advice (bot.advice): gp2 → gp3, and a lifecycle
policy for a bucket without one. Each re-checks its target right before it runs."""

from __future__ import annotations

from datetime import datetime

from bot.advice import storage_buckets as buckets
from bot.advice import storage_volumes as volumes
from bot.orphans.model import Finding, TargetContext
from bot.remediation.actions import CleanupAction, Outcome, action


@action
class ModifyVolumeToGp3(CleanupAction):
    """Change a gp2 volume to gp3 in place (no downtime; it can be changed back later)."""

    name = volumes.ACTION
    permissions = ("ec2:DescribeVolumes", "ec2:ModifyVolume")

    def describe(self, finding: Finding) -> str:
        iops = int(finding.details.get("iops") or volumes.GP3_INCLUDED_IOPS)
        extra = f" with {iops:,} IOPS" if iops > volumes.GP3_INCLUDED_IOPS else ""
        return f"Change EBS volume `{finding.resource_id}` ({finding.size}) to gp3{extra}"

    def recheck(self, ctx: TargetContext, finding: Finding) -> Finding:
        return volumes.recheck_volume(ctx, finding.resource_id)

    def execute(
        self, ctx: TargetContext, finding: Finding, *, request_id: int, restore_until: datetime
    ) -> Outcome:
        iops = int(finding.details.get("iops") or volumes.GP3_INCLUDED_IOPS)
        kwargs = {"Iops": iops} if iops > volumes.GP3_INCLUDED_IOPS else {}
        ctx.client("ec2").modify_volume(VolumeId=finding.resource_id, VolumeType="gp3", **kwargs)
        return Outcome(
            f"volume `{finding.resource_id}` is being changed to gp3 "
            "(it stays in use; change it back with modify-volume if needed)"
        )


@action
class PutBucketLifecycle(CleanupAction):
    """Apply the configured lifecycle policy to a bucket that has none."""

    name = buckets.ACTION
    permissions = (
        "s3:GetLifecycleConfiguration",
        "s3:GetBucketTagging",
        "cloudwatch:GetMetricData",
        "s3:PutLifecycleConfiguration",
    )

    def describe(self, finding: Finding) -> str:
        policy = finding.details.get("policy") or "the configured lifecycle policy"
        return f"Apply a lifecycle policy to bucket `{finding.resource_id}`: {policy}"

    def recheck(self, ctx: TargetContext, finding: Finding) -> Finding:
        return buckets.recheck_bucket(ctx, finding.resource_id)

    def execute(
        self, ctx: TargetContext, finding: Finding, *, request_id: int, restore_until: datetime
    ) -> Outcome:
        rules = finding.details.get("lifecycle") or buckets.lifecycle_rules(ctx.config.storage)
        ctx.client("s3").put_bucket_lifecycle_configuration(
            Bucket=finding.resource_id, LifecycleConfiguration=rules
        )
        return Outcome(
            f"lifecycle policy `{buckets.RULE_ID}` applied to bucket "
            f"`{finding.resource_id}` (delete it to undo)"
        )
