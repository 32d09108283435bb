"""Helpers for the rightsizing tests: instances in moto with hourly CPU history."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from bot.services import Services
from tests.orphans_fixtures import Clock, services_for

#: payments may only stop; search may terminate (AMI first).
RIGHTSIZE_CONFIG = textwrap.dedent(
    """\
    finops:
      regions: [us-east-1, eu-west-1]
      default_channel: C0FINOPS
      tags: {team: Team, owner: Owner, protect: "finops:protect"}
      teams:
        payments: {channel: C0PAY, approvers: [U0LEAD]}
        search:   {channel: C0SRCH, approvers: [U0SLEAD], allow_terminate: true}
      rightsizing: {lookback_days: 14, min_hours: 72}
    """
)


@pytest.fixture
def rs(tmp_path: Path, sqlite_url: str, aws: boto3.Session, clock: Clock) -> Iterator[Services]:
    """Services on SQLite and moto with the rightsizing config and the movable clock."""
    built = services_for(tmp_path, sqlite_url, RIGHTSIZE_CONFIG)
    built.now = clock
    yield built
    built.db.dispose()


def launch(
    instance_type: str = "m5.large",
    team: str | None = "payments",
    *,
    region: str = "us-east-1",
    **extra: str,
) -> str:
    """A running instance (tagged with its team and owner, plus `extra` tags)."""
    ec2 = boto3.client("ec2", region_name=region)
    images = ec2.describe_images(Owners=["self"])["Images"]
    image = (
        images[0]["ImageId"]
        if images
        else ec2.register_image(
            Name="base",
            Architecture="x86_64",
            RootDeviceName="/dev/xvda",
            VirtualizationType="hvm",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
        )["ImageId"]
    )
    values = {
        **(
            {"Team": team, "Owner": "U0PAYDEV" if team == "payments" else "lee@example.com"}
            if team
            else {}
        ),
        **extra,
    }
    spec = (
        [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in values.items()]}]
        if values
        else []
    )
    return str(
        ec2.run_instances(
            ImageId=image,
            InstanceType=instance_type,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=spec,
        )["Instances"][0]["InstanceId"]
    )


def put_cpu(
    instance_id: str, values: Sequence[float], now: datetime, *, region: str = "us-east-1"
) -> None:
    """Hourly CPUUtilization points, the last one an hour before `now` (oldest first)."""
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    points = [
        {
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
            "Timestamp": end - timedelta(hours=len(values) - n),
            "Value": float(value),
            "Unit": "Percent",
        }
        for n, value in enumerate(values)
    ]
    cloudwatch = boto3.client("cloudwatch", region_name=region)
    for first in range(0, len(points), 1000):
        cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=points[first : first + 1000])


def steady(average: float, p95: float | None = None, hours: int = 14 * 24) -> list[float]:
    """`hours` values averaging `average` whose p95 is `p95` (about a tenth of the hours
    at the peak), or all equal to `average`."""
    if p95 is None or p95 == average:
        return [average] * hours
    peaks = hours // 10  # > 5 % of hours, so the 95th percentile lands on a peak
    low = (average * hours - p95 * peaks) / (hours - peaks)
    assert low >= 0, "peak too high for that average"
    return [low] * (hours - peaks) + [p95] * peaks


def instance(instance_id: str, region: str = "us-east-1") -> dict[str, Any]:
    """The instance as described now."""
    ec2 = boto3.client("ec2", region_name=region)
    return dict(
        ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    )
