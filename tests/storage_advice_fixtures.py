"""Helpers for the storage advice tests: buckets with CloudWatch size metrics in moto."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import boto3

GIB = 1024**3


def bucket(
    name: str,
    *,
    region: str = "us-east-1",
    team: str | None = "payments",
    lifecycle: bool = False,
    **tags: str,
) -> str:
    """A bucket (tagged with its team), optionally with a lifecycle configuration."""
    s3 = boto3.client("s3", region_name=region)
    extra: dict[str, Any] = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=name, **extra)
    all_tags = {**({"Team": team} if team else {}), **tags}
    if all_tags:
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in all_tags.items()]}
        )
    if lifecycle:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "mine",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "Expiration": {"Days": 30},
                    }
                ]
            },
        )
    return name


def sizes(name: str, now: datetime, *, region: str = "us-east-1", **gib: int) -> None:
    """Daily BucketSizeBytes datapoints (yesterday) per StorageType, in GiB."""
    cloudwatch = boto3.client("cloudwatch", region_name=region)
    cloudwatch.put_metric_data(
        Namespace="AWS/S3",
        MetricData=[
            {
                "MetricName": "BucketSizeBytes",
                "Dimensions": [
                    {"Name": "BucketName", "Value": name},
                    {"Name": "StorageType", "Value": storage_type},
                ],
                "Timestamp": now - timedelta(days=1),
                "Value": float(amount * GIB),
                "Unit": "Bytes",
            }
            for storage_type, amount in gib.items()
        ],
    )


def lifecycle_rules(name: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    """The bucket's lifecycle rules ([] when it has none)."""
    s3 = boto3.client("s3", region_name=region)
    try:
        return list(s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"])
    except s3.exceptions.ClientError:
        return []


def volume_type(volume_id: str, region: str = "us-east-1") -> str:
    """The volume's type now."""
    ec2 = boto3.client("ec2", region_name=region)
    return str(ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]["VolumeType"])
