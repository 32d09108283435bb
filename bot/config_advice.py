"""Configuration of the optimization advice: `rightsizing:` and `compute:` in finops.yml."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RightsizingConfig(_Strict):
    """`/rightsize`: CPU thresholds over the look-back window (percent of the instance)."""

    lookback_days: int = Field(default=14, ge=1, le=60)
    #: Average below this and p95 below `idle_p95_pct` → stop (or terminate) candidate.
    idle_avg_pct: Decimal = Field(default=Decimal("10"), gt=0, le=100)
    idle_p95_pct: Decimal = Field(default=Decimal("20"), gt=0, le=100)
    #: Average below this (and not idle) → the next smaller size in the family.
    downsize_avg_pct: Decimal = Field(default=Decimal("40"), gt=0, le=100)
    #: Fewer hourly datapoints than this → "not enough data" (not a recommendation).
    min_hours: int = Field(default=72, ge=1)

    @field_validator("downsize_avg_pct")
    @classmethod
    def _above_idle(cls, value: Decimal, info: object) -> Decimal:
        idle = getattr(info, "data", {}).get("idle_avg_pct", Decimal("0"))
        if value <= idle:
            raise ValueError("must be more than idle_avg_pct")
        return value


class ComputeConfig(_Strict):
    """Compute advice: spot by workload tag, ECS capacity, Fargate vs EC2."""

    workload_tag: str = "Workload"
    spot_workloads: list[str] = Field(default_factory=lambda: ["batch", "processing", "analytics"])
    mixed_workloads: list[str] = Field(default_factory=lambda: ["web"])
    #: Typical spot discount against on-demand.
    spot_saving_pct: Decimal = Field(default=Decimal("70"), gt=0, lt=100)
    #: On-demand share of a mixed (web) fleet; the rest runs on spot.
    mixed_on_demand_pct: Decimal = Field(default=Decimal("20"), ge=0, le=100)
    #: ECS clusters whose CPU and memory reservation both stay under this → fewer nodes.
    ecs_reservation_pct: Decimal = Field(default=Decimal("50"), gt=0, le=100)
    ecs_min_nodes: int = Field(default=2, ge=1)
    #: Fargate services costing more than this a month are compared with EC2 ...
    fargate_min_monthly: Decimal = Field(default=Decimal("100"), ge=0)
    #: ... and moving is recommended when EC2 would cost less than this share of it.
    fargate_ec2_ratio_pct: Decimal = Field(default=Decimal("70"), gt=0, le=100)
    #: Instance families an EC2 equivalent of a Fargate service is sized from.
    ec2_families: list[str] = Field(default_factory=lambda: ["m6i", "c6i", "r6i"])


class InventoryConfig(_Strict):
    """The findings inventory (`inventory:`): how old stored findings may be before a
    listing refreshes them, per-kind refresh periods, and scan concurrency."""

    max_age_minutes: int = Field(default=15, gt=0)
    #: Kinds that read CloudWatch metrics (GetMetricData bills per metric) refresh this often.
    metrics_max_age_minutes: int = Field(default=1440, gt=0)
    #: Per-kind overrides, in minutes (for example `rightsizing: 720`).
    kind_max_age_minutes: dict[str, int] = Field(default_factory=dict)
    #: Targets scanned at once (each target is one kind in one account and region).
    concurrency: int = Field(default=8, gt=0, le=64)
    #: How long a worker's claim on a target lasts before another may take it over.
    claim_seconds: int = Field(default=300, gt=0)


class OrganizationConfig(_Strict):
    """`organization:`: read every active account of the AWS Organization (listed with
    organizations:ListAccounts from the management or a delegated account) through the
    role `role_name` in each; the account the bot runs in is read with its own credentials."""

    role_name: str = "finops-bot"
    exclude: list[str] = Field(default_factory=list)  # account ids never read


class StorageAgeShares(_Strict):
    """Assumed share of a bucket's Standard bytes by object age (must add up to 1)."""

    younger_than_ia: Decimal = Decimal("0.40")
    ia_to_glacier: Decimal = Decimal("0.20")
    glacier_to_expiry: Decimal = Decimal("0.25")
    older_than_expiry: Decimal = Decimal("0.15")


class StorageConfig(_Strict):
    """Storage advice (`storage:`): the lifecycle policy proposed for buckets without one."""

    ia_after_days: int = Field(default=30, ge=30)
    glacier_after_days: int = Field(default=90, ge=1)
    expire_after_days: int | None = Field(default=365, ge=1)
    age_shares: StorageAgeShares = Field(default_factory=StorageAgeShares)
    #: gp2 volumes saving less than this a month are summed in one line, not listed.
    min_monthly_saving: Decimal = Field(default=Decimal("1.00"), ge=0)

    @field_validator("glacier_after_days")
    @classmethod
    def _after_ia(cls, value: int, info: Any) -> int:
        if value <= info.data.get("ia_after_days", 0):
            raise ValueError("must be more days than ia_after_days")
        return value

    @field_validator("expire_after_days")
    @classmethod
    def _after_glacier(cls, value: int | None, info: Any) -> int | None:
        if value is not None and value <= info.data.get("glacier_after_days", 0):
            raise ValueError("must be more days than glacier_after_days")
        return value

    @field_validator("age_shares")
    @classmethod
    def _shares(cls, value: StorageAgeShares) -> StorageAgeShares:
        shares = [
            value.younger_than_ia,
            value.ia_to_glacier,
            value.glacier_to_expiry,
            value.older_than_expiry,
        ]
        if any(s < 0 for s in shares) or sum(shares) != 1:
            raise ValueError("must be four non-negative shares adding up to 1")
        return value
