"""Fixtures for the `/tags` tests: moto, the Cost Explorer stand-in, a small known estate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from standins.cost_explorer import CostExplorerStandin, LineItem

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
FULL = {"Environment": "prod", "Project": "core"}


def line_items() -> list[LineItem]:
    """Nov 1-25 and Oct: $40/day payments, $10/day search, $5/day untagged (Oct: $100/day)."""
    rows = []
    for n in range(1, 56):
        day = date(2026, 11, 25) - timedelta(days=n - 1)
        untagged = Decimal(5) if day.month == 11 else Decimal(100)
        for team, amount in (("payments", Decimal(40)), ("search", Decimal(10)), (None, untagged)):
            rows.append(
                LineItem(
                    usage_date=day,
                    account_id="123456789012",
                    region="us-east-1",
                    service="Amazon Elastic Compute Cloud - Compute",
                    usage_type="Usage",
                    amount=amount,
                    tags={"Team": team} if team else {},
                )
            )
    return rows


@pytest.fixture
def ce(monkeypatch: pytest.MonkeyPatch) -> Iterator[CostExplorerStandin]:
    """The Cost Explorer stand-in with `line_items()`, reached through the env endpoint."""
    standin = CostExplorerStandin(line_items(), today=lambda: TODAY)
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", standin.start())
    yield standin
    standin.stop()


def aws_tags(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in values.items()]


def volume(session: boto3.Session, tags: dict[str, str], region: str = "us-east-1") -> str:
    spec = [{"ResourceType": "volume", "Tags": aws_tags(tags)}] if tags else []
    return str(
        session.client("ec2", region_name=region).create_volume(
            AvailabilityZone=f"{region}a", Size=10, VolumeType="gp3", TagSpecifications=spec
        )["VolumeId"]
    )


def address(session: boto3.Session, tags: dict[str, str], region: str = "us-east-1") -> str:
    spec = [{"ResourceType": "elastic-ip", "Tags": aws_tags(tags)}] if tags else []
    return str(
        session.client("ec2", region_name=region).allocate_address(
            Domain="vpc", TagSpecifications=spec
        )["AllocationId"]
    )


def bucket(session: boto3.Session, name: str, tags: dict[str, str]) -> str:
    s3 = session.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": aws_tags(tags)})
    return name


def known_estate(session: boto3.Session, *, owners: dict[str, str] | None = None) -> dict[str, Any]:
    """Six resources, two compliant: payments 1 of 2, search 1 of 2, no team 0 of 2.

    `owners` overrides the owner tag per team (defaults: payments U0PAYDEV, search email).
    """
    who = {"payments": "U0PAYDEV", "search": "lee@example.com", **(owners or {})}
    pay = {"Team": "payments", "Owner": who["payments"]}
    search = {"Team": "search", "Owner": who["search"]}
    return {
        "full": volume(session, {**pay, **FULL}),
        "half": volume(session, pay),  # missing Environment, Project
        "bare": volume(session, {}),  # no tags at all
        "ip": address(session, search, region="eu-west-1"),  # missing Environment, Project
        "logs": bucket(session, "untagged-logs", {}),
        "index": bucket(session, "search-index", {**search, **FULL}),
    }
