"""S3 buckets without a lifecycle policy, sized from CloudWatch's daily bucket metrics."""

from __future__ import annotations

from bot.advice import storage_buckets as buckets
from bot.advice.storage import scan_buckets
from bot.findings.model import Finding, FindingKind, TargetContext, register


@register
class BucketLifecycle(FindingKind):
    """Buckets located in the target's region that have no lifecycle configuration."""

    name = buckets.KIND
    resource_type = "s3-bucket"
    title = "S3 buckets without a lifecycle policy"
    action = buckets.ACTION
    permissions = (
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetLifecycleConfiguration",
        "s3:GetBucketTagging",
        "cloudwatch:GetMetricData",
    )
    family = "storage"
    refresh = "metrics"
    metrics_per_resource = 2

    def scan(self, ctx: TargetContext) -> list[Finding]:
        return scan_buckets({ctx.region: ctx})

    def recheck(self, ctx: TargetContext, resource_id: str) -> Finding:
        return buckets.recheck_bucket(ctx, resource_id)
