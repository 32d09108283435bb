"""Fixtures for the orphans and remediation tests: moto, a movable clock, services."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.config import Settings
from bot.services import Services, build_services
from tests.conftest import make_env

AWS_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
REGIONS = ("us-east-1", "eu-west-1")
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

CONFIG = textwrap.dedent(
    """\
    finops:
      regions: [us-east-1, eu-west-1]
      default_channel: C0FINOPS
      tags: {team: Team, owner: Owner, protect: "finops:protect"}
      teams:
        payments: {channel: C0PAY, approvers: [U0LEAD]}
        search:   {channel: C0SRCH, approvers: [U0SLEAD]}
    """
)


class Clock:
    """A clock tests move by hand; starts at the real now (moto stamps resources now)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def clear_aws_env(patch: pytest.MonkeyPatch) -> None:
    for key, value in AWS_ENV.items():
        patch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_PRICING"):
        patch.delenv(key, raising=False)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """An empty in-process moto AWS."""
    clear_aws_env(monkeypatch)
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")


def services_for(tmp_path: Path, database_url: str, config: str = CONFIG) -> Services:
    path = tmp_path / "finops.yml"
    path.write_text(config)
    return build_services(Settings.from_env(make_env(path, database_url)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(tmp_path: Path, sqlite_url: str, aws: boto3.Session, clock: Clock) -> Iterator[Services]:
    """Services on SQLite and moto, with the movable clock."""
    built = services_for(tmp_path, sqlite_url)
    built.now = clock
    yield built
    built.db.dispose()


def tags(team: str | None = None, **extra: str) -> list[dict[str, str]]:
    values = (
        {
            "Team": team,
            "Owner": {"payments": "U0PAYDEV", "search": "lee@example.com"}.get(team or "", ""),
        }
        if team
        else {}
    )
    values.update(extra)
    return [{"Key": k, "Value": v} for k, v in values.items() if v]


@dataclass
class Estate:
    """A tiny estate built by hand (ids of what was created)."""

    session: boto3.Session
    region: str = "us-east-1"

    def ec2(self, region: str | None = None) -> Any:
        return self.session.client("ec2", region_name=region or self.region)

    def volume(
        self,
        size: int = 100,
        volume_type: str = "gp2",
        team: str | None = "payments",
        region: str | None = None,
        **extra: str,
    ) -> str:
        spec = [{"ResourceType": "volume", "Tags": tags(team, **extra)}] if team or extra else []
        return str(
            self.ec2(region).create_volume(
                AvailabilityZone=f"{region or self.region}a",
                Size=size,
                VolumeType=volume_type,
                TagSpecifications=spec,
            )["VolumeId"]
        )

    def instance(self, region: str | None = None, team: str | None = "payments") -> str:
        ec2 = self.ec2(region)
        image = ec2.register_image(
            Name=f"base-{len(ec2.describe_images(Owners=['self'])['Images'])}",
            Architecture="x86_64",
            RootDeviceName="/dev/xvda",
            VirtualizationType="hvm",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
        )["ImageId"]
        spec = [{"ResourceType": "instance", "Tags": tags(team)}] if team else []
        return str(
            ec2.run_instances(
                ImageId=image,
                InstanceType="m5.large",
                MinCount=1,
                MaxCount=1,
                TagSpecifications=spec,
            )["Instances"][0]["InstanceId"]
        )

    def address(self, team: str | None = "search", region: str | None = None) -> str:
        spec = [{"ResourceType": "elastic-ip", "Tags": tags(team)}] if team else []
        return str(
            self.ec2(region).allocate_address(Domain="vpc", TagSpecifications=spec)["AllocationId"]
        )


@pytest.fixture
def estate(aws: boto3.Session) -> Estate:
    return Estate(aws)
