"""Registered actions proposed by storage advice (bot.advice): gp2 → gp3, and a lifecycle
policy for a bucket without one. Each re-checks its target right before it runs."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bot.advice import storage_buckets as buckets
from bot.advice import storage_volumes as volumes
from bot.orphans.model import Finding, TargetContext
from bot.remediation.actions import CleanupAction, Outcome, Outcomes, action
from bot.remediation.steps import Step, StepRun, error_code


def _modify_to_gp3(run: StepRun) -> dict[str, Any]:
    iops = int(run.finding.details.get("iops") or volumes.GP3_INCLUDED_IOPS)
    kwargs = {"Iops": iops} if iops > volumes.GP3_INCLUDED_IOPS else {}
    run.ctx.client("ec2").modify_volume(
        VolumeId=run.finding.resource_id, VolumeType="gp3", **kwargs
    )
    return {"volume_type": "gp3"}


def _is_gp3(run: StepRun) -> dict[str, Any] | None:
    """gp3 already, or a modification to gp3 under way."""
    ec2 = run.ctx.client("ec2")
    found = ec2.describe_volumes(VolumeIds=[run.finding.resource_id])["Volumes"]
    if found and found[0].get("VolumeType") == "gp3":
        return {"volume_type": "gp3"}
    try:
        changes = ec2.describe_volumes_modifications(VolumeIds=[run.finding.resource_id])
    except ClientError:
        return None
    for change in changes.get("VolumesModifications", []):
        if change.get("TargetVolumeType") == "gp3" and change.get("ModificationState") != "failed":
            return {"volume_type": "gp3"}
    return None


def _put_lifecycle(run: StepRun) -> dict[str, Any]:
    rules = run.finding.details.get("lifecycle") or buckets.lifecycle_rules(run.ctx.config.storage)
    run.ctx.client("s3").put_bucket_lifecycle_configuration(
        Bucket=run.finding.resource_id, LifecycleConfiguration=rules
    )
    return {"rule": buckets.RULE_ID}


def _has_lifecycle(run: StepRun) -> dict[str, Any] | None:
    try:
        rules = run.ctx.client("s3").get_bucket_lifecycle_configuration(
            Bucket=run.finding.resource_id
        )["Rules"]
    except ClientError as exc:
        if error_code(exc) == "NoSuchLifecycleConfiguration":
            return None
        raise
    return {"rule": buckets.RULE_ID} if any(r.get("ID") == buckets.RULE_ID for r in rules) else None


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

    def steps(self, finding: Finding) -> list[Step]:
        return [Step("modify", "ModifyVolume", _modify_to_gp3, _is_gp3)]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
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

    def steps(self, finding: Finding) -> list[Step]:
        return [Step("policy", "PutBucketLifecycleConfiguration", _put_lifecycle, _has_lifecycle)]

    def conclude(self, finding: Finding, outcomes: Outcomes) -> Outcome:
        return Outcome(
            f"lifecycle policy `{buckets.RULE_ID}` applied to bucket "
            f"`{finding.resource_id}` (delete it to undo)"
        )
