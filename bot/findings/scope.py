"""What a scan looks at and what it could not: the filter, per-target contexts, failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.aws import CURRENT_ACCOUNT, AwsClients
from bot.config import FinopsConfig
from bot.findings.model import Finding, TargetContext
from bot.findings.prices import PriceTable, default_prices


@dataclass(frozen=True)
class ScanFailure:
    """A part of the estate that could not be read, and why (user-facing text)."""

    account: str
    region: str
    kind: str
    message: str

    @property
    def where(self) -> str:
        """`eu-west-1` or `123456789012/eu-west-1`."""
        return self.region if self.account == CURRENT_ACCOUNT else f"{self.account}/{self.region}"


@dataclass
class ScanResult:
    """Findings (most expensive first) and the parts that could not be scanned."""

    findings: list[Finding] = field(default_factory=list)
    failures: list[ScanFailure] = field(default_factory=list)
    targets: int = 0
    scans: int = 0  # (target, kind) pairs looked at

    @property
    def every_scan_failed(self) -> bool:
        """Nothing could be looked at: every (target, kind) scan failed."""
        return self.scans > 0 and len(self.failures) >= self.scans

    @property
    def total(self) -> Decimal:
        """Monthly waste of the findings that can be cleaned up or not (all of them)."""
        return sum((f.monthly_cost for f in self.findings), Decimal("0.00"))


@dataclass(frozen=True)
class ScanFilter:
    """What to look at; None means everything."""

    team: str | None = None
    region: str | None = None
    kind: str | None = None

    def keeps(self, finding: Finding) -> bool:
        """Whether a finding passes the team filter (region and kind limit the scan itself)."""
        return self.team is None or finding.team == self.team


def caller_account(aws: AwsClients, region: str) -> str:
    """The account id of the bot's own credentials ("current" when STS cannot say)."""
    try:
        return str(aws.client("sts", region=region).get_caller_identity()["Account"])
    except Exception:
        return CURRENT_ACCOUNT


def client_account(config: FinopsConfig, account: str) -> str:
    """The AwsClients key for a finding's account: a configured id, else the current one."""
    if account == CURRENT_ACCOUNT:
        return CURRENT_ACCOUNT
    if any(a.id == account for a in config.accounts) or config.organization is not None:
        return account  # with `organization:`, every listed account id is a client key
    return CURRENT_ACCOUNT


def target_context(
    aws: AwsClients,
    config: FinopsConfig,
    *,
    account: str,
    region: str,
    now: datetime,
    prices: PriceTable | None = None,
    account_id: str | None = None,
) -> TargetContext:
    """A context whose clients reach `account` (an AwsClients key) in `region`."""
    key = client_account(config, account)

    def client(service: str) -> Any:
        return aws.client(service, region=region, account=key)

    return TargetContext(
        client=client,
        account=account_id or account,
        region=region,
        config=config,
        now=now,
        prices=prices or default_prices(),
    )
