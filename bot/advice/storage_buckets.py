"""S3 buckets without a lifecycle configuration: size by storage class from CloudWatch
(`BucketSizeBytes`, daily) and the estimated saving of the configured lifecycle policy.

The saving is an estimate: S3 metrics say how many bytes a bucket holds in each class,
not how old its objects are, so the Standard bytes are split by the assumed age shares
of `storage.age_shares` (config). Only Standard bytes move; transition requests,
minimum storage durations and retrieval fees are not counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from bot.config import StorageConfig
from bot.findings.model import Finding, FindingKind, NotEligible, TargetContext
from bot.findings.prices import cents

KIND = "s3-lifecycle"
ACTION = "put-bucket-lifecycle"
RULE_ID = "finops-bot-lifecycle"
GIB = Decimal(1024**3)
#: CloudWatch StorageType → price-table storage class.
STORAGE_TYPES = {
    "StandardStorage": "standard",
    "StandardIAStorage": "standard_ia",
    "GlacierStorage": "glacier",
    "IntelligentTieringFAStorage": "intelligent_tiering",
    "IntelligentTieringIAStorage": "intelligent_tiering_ia",
}
MAX_QUERIES = 500  # GetMetricData's limit per call
#: S3 storage metrics are daily and arrive a day or two late: look back this far.
LOOKBACK = timedelta(days=3)
NO_LIFECYCLE = "NoSuchLifecycleConfiguration"


@dataclass(frozen=True)
class BucketRef:
    """A bucket and the region it lives in."""

    name: str
    region: str


def bucket_region(location: str | None) -> str:
    """GetBucketLocation's answer as a region name (None is us-east-1, EU is eu-west-1)."""
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location or "")


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def has_lifecycle(s3: Any, bucket: str) -> bool:
    """Whether the bucket has a lifecycle configuration."""
    try:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    except ClientError as exc:
        if _error_code(exc) == NO_LIFECYCLE:
            return False
        raise
    return True


def bucket_tags(s3: Any, bucket: str) -> dict[str, str]:
    """The bucket's tags ({} when it has none)."""
    try:
        tags = s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])
    except ClientError as exc:
        if _error_code(exc) == "NoSuchTagSet":
            return {}
        raise
    return {t["Key"]: t.get("Value", "") for t in tags}


def bucket_sizes(ctx: TargetContext, buckets: Iterable[str]) -> dict[str, dict[str, int]]:
    """Latest bytes per storage class for each bucket (buckets with no data are absent),
    with GetMetricData in batches of up to 500 queries."""
    queries: list[tuple[str, str, str]] = [
        (f"q{n}", name, storage_type)
        for n, (name, storage_type) in enumerate((b, t) for b in buckets for t in STORAGE_TYPES)
    ]
    cloudwatch = ctx.client("cloudwatch")
    sizes: dict[str, dict[str, int]] = {}
    for start in range(0, len(queries), MAX_QUERIES):
        batch = queries[start : start + MAX_QUERIES]
        by_id = {qid: (name, storage_type) for qid, name, storage_type in batch}
        request: dict[str, Any] = {
            "MetricDataQueries": [
                {
                    "Id": qid,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/S3",
                            "MetricName": "BucketSizeBytes",
                            "Dimensions": [
                                {"Name": "BucketName", "Value": name},
                                {"Name": "StorageType", "Value": storage_type},
                            ],
                        },
                        "Period": 86400,
                        "Stat": "Average",
                    },
                    "ReturnData": True,
                }
                for qid, name, storage_type in batch
            ],
            "StartTime": ctx.now - LOOKBACK,
            "EndTime": ctx.now,
            "ScanBy": "TimestampDescending",
        }
        while True:
            answer = cloudwatch.get_metric_data(**request)
            for result in answer.get("MetricDataResults", []):
                values = list(
                    zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
                )
                if not values or result["Id"] not in by_id:
                    continue
                name, storage_type = by_id.pop(result["Id"])
                latest = max(values, key=lambda tv: tv[0])[1]
                sizes.setdefault(name, {})[STORAGE_TYPES[storage_type]] = int(latest)
            token = answer.get("NextToken")
            if not token:
                break
            request["NextToken"] = token
    return sizes


@dataclass(frozen=True)
class Saving:
    """Monthly storage cost now and under the policy (Decimal), and whether approximate."""

    current: Decimal
    proposed: Decimal
    approximate: bool

    @property
    def monthly(self) -> Decimal:
        """What the policy saves a month (never negative)."""
        return max(Decimal("0.00"), self.current - self.proposed)


def lifecycle_saving(ctx: TargetContext, sizes: dict[str, int], rule: StorageConfig) -> Saving:
    """The estimated monthly saving of `rule` for a bucket holding `sizes` bytes per class.

    Standard bytes are split by the assumed age shares: the youngest stay Standard, the
    next move to Standard-IA, the next to Glacier, the oldest expire (or stay in Glacier
    when `expire_after_days` is not set). Other classes are left as they are.
    """
    approx = False

    def price(storage_class: str) -> Decimal:
        nonlocal approx
        value, approximate = ctx.prices.s3_gb_month(ctx.region, storage_class)
        approx = approx or approximate
        return value

    current = sum((Decimal(b) / GIB * price(c) for c, b in sizes.items()), Decimal(0))
    standard_gb = Decimal(sizes.get("standard", 0)) / GIB
    shares = rule.age_shares
    oldest = Decimal(0) if rule.expire_after_days is not None else price("glacier")
    moved = standard_gb * (
        shares.younger_than_ia * price("standard")
        + shares.ia_to_glacier * price("standard_ia")
        + shares.glacier_to_expiry * price("glacier")
        + shares.older_than_expiry * oldest
    )
    others = current - standard_gb * price("standard")
    return Saving(cents(current), cents(others + moved), approx)


def tiering_saving(ctx: TargetContext, sizes: dict[str, int], rule: StorageConfig) -> Saving:
    """The alternative: Standard bytes in Intelligent-Tiering, the ones older than
    `ia_after_days` (by the assumed age shares) in its infrequent tier. Its monitoring fee
    (per object) is not counted: CloudWatch does not say how many objects there are."""
    standard_gb = Decimal(sizes.get("standard", 0)) / GIB
    std, a1 = ctx.prices.s3_gb_month(ctx.region, "standard")
    frequent, a2 = ctx.prices.s3_gb_month(ctx.region, "intelligent_tiering")
    infrequent, a3 = ctx.prices.s3_gb_month(ctx.region, "intelligent_tiering_ia")
    young = rule.age_shares.younger_than_ia
    current = standard_gb * std
    proposed = standard_gb * (young * frequent + (1 - young) * infrequent)
    return Saving(cents(current), cents(proposed), a1 or a2 or a3)


def lifecycle_rules(rule: StorageConfig) -> dict[str, Any]:
    """The LifecycleConfiguration that `put_bucket_lifecycle_configuration` applies."""
    body: dict[str, Any] = {
        "ID": RULE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "Transitions": [
            {"Days": rule.ia_after_days, "StorageClass": "STANDARD_IA"},
            {"Days": rule.glacier_after_days, "StorageClass": "GLACIER"},
        ],
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    }
    if rule.expire_after_days is not None:
        body["Expiration"] = {"Days": rule.expire_after_days}
    return {"Rules": [body]}


def policy_text(rule: StorageConfig) -> str:
    """`Standard-IA after 30 days, Glacier after 90, expire after 365`."""
    text = f"Standard-IA after {rule.ia_after_days} days, Glacier after {rule.glacier_after_days}"
    return text + (
        f", expire after {rule.expire_after_days}"
        if rule.expire_after_days is not None
        else ", never expire"
    )


class _LifecycleKind(FindingKind):
    """What `TargetContext.finding` reads (advice, not waste: never in the KINDS registry)."""

    name = KIND
    resource_type = "s3-bucket"
    title = "S3 buckets without a lifecycle policy"
    action = ACTION
    permissions = (
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetLifecycleConfiguration",
        "s3:GetBucketTagging",
        "cloudwatch:GetMetricData",
    )


_KIND = _LifecycleKind()


def bucket_advice(
    ctx: TargetContext, bucket: str, tags: dict[str, str], sizes: dict[str, int] | None
) -> Finding:
    """The lifecycle proposal for one bucket; `sizes` None means CloudWatch had no data."""
    rule = ctx.config.storage
    if sizes is None:
        saving = Saving(Decimal("0.00"), Decimal("0.00"), True)
        tiering = Decimal("0.00")
        reason = "no lifecycle policy; no size data in CloudWatch, so no estimate"
    else:
        saving = lifecycle_saving(ctx, sizes, rule)
        reason = f"no lifecycle policy; storage costs about ${saving.current:,.2f}/month"
        tiering = tiering_saving(ctx, sizes, rule).monthly
    total = sum(sizes.values()) if sizes else 0
    return ctx.finding(
        _KIND,
        resource_id=bucket,
        tags=tags,
        name=bucket,
        size=f"{Decimal(total) / GIB:,.1f} GiB" if sizes is not None else "no data",
        age_days=None,
        monthly_cost=saving.monthly,
        approximate=saving.approximate,
        reason=reason,
        details={
            "sizes": sizes,
            "no_data": sizes is None,
            "policy": policy_text(rule),
            "lifecycle": lifecycle_rules(rule),
            "current_monthly": str(saving.current),
            "proposed_monthly": str(saving.proposed),
            "tiering_saving": str(tiering),
        },
    )


def recheck_bucket(ctx: TargetContext, bucket: str) -> Finding:
    """The proposal as it stands now; NotEligible when the bucket is gone or has a policy."""
    s3 = ctx.client("s3")
    try:
        if has_lifecycle(s3, bucket):
            raise NotEligible(f"bucket {bucket} has a lifecycle configuration now")
        tags = bucket_tags(s3, bucket)
    except ClientError as exc:
        if _error_code(exc) in ("NoSuchBucket", "404"):
            raise NotEligible(f"bucket {bucket} no longer exists") from None
        raise
    sizes = bucket_sizes(ctx, [bucket]).get(bucket)
    return bucket_advice(ctx, bucket, tags, sizes)
