"""Seed the compute part of the demo estate into moto: Auto Scaling groups with workload
tags, an under-reserved ECS cluster and a Fargate service (filled in by compute advice)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import boto3


@dataclass
class ComputeEstate:
    """What `seed_compute_estate` created (ids by category)."""

    asg_names: list[str] = field(default_factory=list)


def seed_compute_estate(
    *, session: boto3.Session, regions: Sequence[str], now: datetime,
    endpoint_url: str | None = None,
) -> ComputeEstate:
    """Create the compute estate (moto only!) and describe it."""
    return ComputeEstate()
