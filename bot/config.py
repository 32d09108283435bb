"""Configuration: the `finops.yml` file and the process environment.

Both are validated at start. A problem stops the process with one line that names
the file and the key (``finops.yml: teams.payments.channel is missing``).
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config_advice import (
    ComputeConfig,
    InventoryConfig,
    OrganizationConfig,
    RightsizingConfig,
    StorageAgeShares,
    StorageConfig,
)
from bot.config_aws import AwsConfig
from bot.config_base import ConfigError
from bot.config_cost import AthenaSourceConfig, FocusSourceConfig, check_charge_categories
from bot.config_errors import describe_errors
from bot.config_schedule import ScheduleConfig
from bot.settings import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_DATABASE_URL,
    DEFAULT_SLACK_API_URL,
    Settings,
    normalize_database_url,
    redact_url,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_SLACK_API_URL",
    "AwsConfig",
    "ConfigError",
    "FinopsConfig",
    "ScheduleConfig",
    "Settings",
    "StorageAgeShares",
    "StorageConfig",
    "load_config",
    "normalize_database_url",
    "redact_url",
]


_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountConfig(_Strict):
    """An AWS account the bot reads, optionally through an assumed role."""

    id: str
    role_arn: str | None = None
    name: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str:
        text = str(value)
        if not _ACCOUNT_ID.match(text):
            raise ValueError("must be a 12-digit AWS account id, in quotes")
        return text

    @field_validator("role_arn")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("arn:aws"):
            raise ValueError("must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
        return value


class TagsConfig(_Strict):
    """Which resource tags carry ownership, and which tags every resource must have."""

    team: str = "Team"
    owner: str = "Owner"
    protect: str = "finops:protect"
    required: list[str] = Field(default_factory=lambda: ["Environment", "Team", "Project", "Owner"])


class TeamConfig(_Strict):
    """A team: where its alerts go and who may approve its cleanups."""

    channel: str
    approvers: list[str] = Field(default_factory=list)
    monthly_budget: Decimal | None = None
    #: `/rightsize` may propose terminating (after an AMI) instead of stopping idle ones.
    allow_terminate: bool = False

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return _check_channel(value)

    @field_validator("approvers")
    @classmethod
    def _approvers(cls, value: list[str]) -> list[str]:
        for user in value:
            if not _USER_ID.match(user):
                raise ValueError(f'"{user}" is not a Slack user id (like U0123ABCD)')
        return value

    @field_validator("monthly_budget")
    @classmethod
    def _budget(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value <= 0:
            raise ValueError("must be a positive amount")
        return value


class DigestConfig(_Strict):
    """Where the weekly digest goes."""

    channel: str
    #: Also post each team's own part to the team's channel.
    team_channels: bool = False

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return _check_channel(value)


class RemediationConfig(_Strict):
    """Waste rules and the cleanup approval policy (`remediation:` in finops.yml)."""

    allow_self_approval: bool = False
    #: Who decides for resources with no team tag (or a team not configured here).
    default_approvers: list[str] = Field(default_factory=list)
    request_ttl_hours: int = Field(default=72, gt=0)
    restore_window_days: int = Field(default=7, ge=0)
    snapshot_age_days: int = Field(default=90, ge=0)
    stopped_instance_days: int = Field(default=30, ge=0)

    @field_validator("default_approvers")
    @classmethod
    def _approvers(cls, value: list[str]) -> list[str]:
        return TeamConfig._approvers(value)


class CostBreakerConfig(_Strict):
    """When to stop calling Cost Explorer and answer from the cache instead."""

    failure_threshold: int = Field(default=3, gt=0)  # consecutive failed calls that open it
    recovery_seconds: float = Field(default=60, gt=0)  # open this long, then one trial call
    timeout_seconds: float = Field(default=10, gt=0)  # connect and read timeout of one call
    max_attempts: int = Field(default=5, gt=0)  # tries per call (throttling, 5xx), with backoff


class CostConfig(_Strict):
    """`/cost`: how long Cost Explorer data is cached and how failures are handled."""

    settle_days: int = Field(default=3, ge=0)  # days older than this are final
    ttl_hours: float = Field(default=6, gt=0)  # recent days are refetched after this
    top_lines: int = Field(default=8, gt=0)  # breakdown lines before "Other"
    breaker: CostBreakerConfig = Field(default_factory=CostBreakerConfig)
    source: Literal["cost_explorer", "focus", "athena"] = "cost_explorer"
    focus: FocusSourceConfig | None = None
    athena: AthenaSourceConfig | None = None
    #: billed (BilledCost / UnblendedCost), effective (EffectiveCost / AmortizedCost),
    #: list (ListCost, exports only), net (NetUnblendedCost, Cost Explorer only).
    metric: Literal["billed", "effective", "list", "net"] = "billed"
    exclude_charge_categories: list[str] = Field(default_factory=list)
    #: Seconds a `/cost` answer may take before the cached part is shown and updated later.
    answer_budget_seconds: float = Field(default=8, gt=0)

    @field_validator("exclude_charge_categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        return check_charge_categories(value)

    @model_validator(mode="after")
    def _source_settings(self) -> CostConfig:
        if self.source == "focus" and self.focus is None:
            raise ValueError("source is focus, so cost.focus.path is needed")
        if self.source == "athena" and self.athena is None:
            raise ValueError("source is athena, so cost.athena (database, table...) is needed")
        if self.source == "cost_explorer" and self.metric == "list":
            raise ValueError("metric list (ListCost) needs an export source (focus or athena)")
        if self.source != "cost_explorer" and self.metric == "net":
            raise ValueError("metric net (NetUnblendedCost) is Cost Explorer's: use billed")
        return self


class AnomaliesConfig(_Strict):
    """Anomaly alert thresholds (`anomalies:`): both must be exceeded to alert."""

    min_increase_pct: Decimal = Field(default=Decimal("20"), gt=0)
    min_impact: Decimal = Field(default=Decimal("100"), ge=0)
    #: Days of history a series needs before it can alert.
    min_history_days: int = Field(default=14, ge=7)
    #: A shift that lasts this many days becomes the new normal.
    level_shift_days: int = Field(default=3, ge=1)
    #: Anomalies whose last day is older than this are not reported.
    report_days: int = Field(default=10, ge=1)
    #: An increase must also clear this many robust standard deviations of the series' noise.
    min_z: Decimal = Field(default=Decimal("3.5"), ge=0)
    #: When an anomaly's impact grows by more than this % since last announced, the message
    #: update also posts a thread reply.
    regrowth_pct: Decimal = Field(default=Decimal("50"), gt=0)


class BudgetRestriction(_Strict):
    """What the 90 % step proposes for a team: attach `deny_policy_arn` to `role_arn`."""

    role_arn: str
    deny_policy_arn: str

    @field_validator("role_arn", "deny_policy_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not value.startswith("arn:aws"):
            raise ValueError("must be an IAM ARN (arn:aws:iam::<account>:...)")
        return value


class BudgetsConfig(_Strict):
    """The budget ladder (`budgets:`): notify, propose the restriction, propose stopping."""

    #: Month-to-date use in % of budget: [notify, notify + restriction, stop proposal].
    thresholds: list[Decimal] = Field(
        default_factory=lambda: [Decimal(80), Decimal(90), Decimal(100)]
    )
    #: Per team: the deny policy to attach to the team's role at the second step.
    restrictions: dict[str, BudgetRestriction] = Field(default_factory=dict)
    #: Instances carrying this tag with one of these values are critical: never stopped.
    critical_tag: str = "Criticality"
    critical_values: list[str] = Field(default_factory=lambda: ["high"])
    #: Approve and execute the proposals without a human (off unless set).
    auto: bool = False

    @field_validator("thresholds")
    @classmethod
    def _ladder(cls, value: list[Decimal]) -> list[Decimal]:
        if len(value) != 3 or sorted(value) != value or value[0] <= 0:
            raise ValueError("must be three increasing percentages, like [80, 90, 100]")
        return value


class FinopsConfig(_Strict):
    """The `finops:` block of finops.yml."""

    regions: list[str] = Field(min_length=1)
    accounts: list[AccountConfig] = Field(default_factory=list)
    organization: OrganizationConfig | None = None
    default_channel: str
    tags: TagsConfig = Field(default_factory=TagsConfig)
    teams: dict[str, TeamConfig] = Field(default_factory=dict)
    digest: DigestConfig | None = None
    remediation: RemediationConfig = Field(default_factory=RemediationConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    anomalies: AnomaliesConfig = Field(default_factory=AnomaliesConfig)
    cost: CostConfig = Field(default_factory=CostConfig)
    budgets: BudgetsConfig = Field(default_factory=BudgetsConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    rightsizing: RightsizingConfig = Field(default_factory=RightsizingConfig)
    compute: ComputeConfig = Field(default_factory=ComputeConfig)
    inventory: InventoryConfig = Field(default_factory=InventoryConfig)
    aws: AwsConfig = Field(default_factory=AwsConfig)
    #: Slack user ids that see the full `/finops status` (API spend, jobs, database).
    admins: list[str] = Field(default_factory=list)

    @field_validator("admins")
    @classmethod
    def _admins(cls, value: list[str]) -> list[str]:
        for user in value:
            if not _USER_ID.match(user):
                raise ValueError(f'"{user}" is not a Slack user id (like U0123ABCD)')
        return value

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        for region in value:
            if not _REGION.match(region):
                raise ValueError(f'"{region}" is not an AWS region name (like us-east-1)')
            known = known_regions()
            if known and region not in known:
                close = difflib.get_close_matches(region, known, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ValueError(f'"{region}" is not a region AWS knows{hint}')
        return value

    @field_validator("default_channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return _check_channel(value)

    @field_validator("teams")
    @classmethod
    def _team_names(cls, value: dict[str, TeamConfig]) -> dict[str, TeamConfig]:
        for name in value:
            if not re.match(r"^[a-z0-9][a-z0-9_-]*$", name):
                raise ValueError(f'team name "{name}" must be lower-case letters, digits, - or _')
        return value

    def team_names(self) -> list[str]:
        """The configured team names, sorted."""
        return sorted(self.teams)


@functools.cache
def known_regions() -> tuple[str, ...]:
    """Every region of every partition in botocore's bundled endpoint data (no network)."""
    import botocore.loaders

    data = botocore.loaders.create_loader().load_data("endpoints")
    return tuple(sorted({r for p in data.get("partitions", []) for r in p.get("regions", {})}))


class _Root(_Strict):
    finops: FinopsConfig


def _check_channel(value: str) -> str:
    if not _CHANNEL_ID.match(value):
        raise ValueError(f'"{value}" is not a Slack channel id (like C0123ABCD)')
    return value


def load_config(path: str | os.PathLike[str]) -> FinopsConfig:
    """Read and validate finops.yml; raise ConfigError with one clear line on any problem."""
    file = Path(path)
    name = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{name}: file not found (set FINOPS_CONFIG to its path, "
            "or copy finops.example.yml to finops.yml)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot be read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{name}: {where}{problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: must be a mapping with a top-level `finops:` key")
    try:
        return _Root.model_validate(data).finops
    except ValidationError as exc:
        raise ConfigError(f"{name}: {describe_errors(exc.errors(), _Root)}") from None
