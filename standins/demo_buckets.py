"""The demo estate's S3 buckets: with and without lifecycle policies, and the daily
BucketSizeBytes metrics `/storage` estimates from (part of standins.demo_estate)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from standins.demo_summary import EstateSummary


#: Daily S3 storage metrics (BucketSizeBytes, GiB per StorageType) for the demo buckets.
BUCKET_SIZES_GIB: dict[str, dict[str, int]] = {
    "payments-logs": {"StandardStorage": 300, "StandardIAStorage": 900},
    "search-artifacts": {"StandardStorage": 2000, "StandardIAStorage": 150},
    "data-lake-raw": {"StandardStorage": 5000, "GlacierStorage": 20000},
}


def _put_bucket_sizes(
    session: boto3.Session,
    region: str,
    endpoint_url: str | None,
    bucket: str,
    now: datetime,
    sizes: dict[str, int],
) -> None:
    """Yesterday's BucketSizeBytes per storage class, as S3 reports it daily."""
    from standins.demo_estate import _CLIENT_CONFIG

    cloudwatch = session.client(
        "cloudwatch", region_name=region, endpoint_url=endpoint_url, config=_CLIENT_CONFIG
    )
    cloudwatch.put_metric_data(
        Namespace="AWS/S3",
        MetricData=[
            {
                "MetricName": "BucketSizeBytes",
                "Dimensions": [
                    {"Name": "BucketName", "Value": bucket},
                    {"Name": "StorageType", "Value": storage_type},
                ],
                "Timestamp": now - timedelta(days=1),
                "Value": float(gib * 1024**3),
                "Unit": "Bytes",
            }
            for storage_type, gib in sizes.items()
        ],
    )


def seed_buckets(
    session: boto3.Session,
    regions: Sequence[str],
    endpoint_url: str | None,
    summary: EstateSummary,
    now: datetime | None = None,
) -> None:
    """Four buckets (two with lifecycle rules, one without size metrics), noted in `summary`."""
    from standins.demo_estate import _CLIENT_CONFIG, _tags

    account = summary.account_id or "demo"
    plans: list[tuple[str, str | None, str, bool, int]] = [
        # (name suffix, team, region, lifecycle?, objects)
        ("payments-logs", "payments", regions[0], True, 4),
        ("search-artifacts", "search", regions[-1], False, 3),
        ("data-lake-raw", "data", regions[0], True, 5),
        ("scratch", None, regions[-1], False, 2),
    ]
    for suffix, team, region, lifecycle, objects in plans:
        s3 = session.client(
            "s3", region_name=region, endpoint_url=endpoint_url, config=_CLIENT_CONFIG
        )
        bucket = f"finops-demo-{account}-{suffix}"
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
        if team:
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags(team)})
        if lifecycle:
            s3.put_bucket_lifecycle_configuration(
                Bucket=bucket,
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": "tier-then-expire",
                            "Status": "Enabled",
                            "Filter": {"Prefix": ""},
                            "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
                            "Expiration": {"Days": 365},
                        }
                    ]
                },
            )
            summary.buckets_with_lifecycle.append(bucket)
        else:
            summary.buckets_without_lifecycle.append(bucket)
        for n in range(objects):
            s3.put_object(Bucket=bucket, Key=f"2026/part-{n:04d}.json", Body=b"{}" * (64 * (n + 1)))
        summary.region_of[bucket] = region
        if now is not None and suffix in BUCKET_SIZES_GIB:  # "scratch" has no metrics
            _put_bucket_sizes(session, region, endpoint_url, bucket, now, BUCKET_SIZES_GIB[suffix])
        if team:
            summary.tagged_resource_count += 1
