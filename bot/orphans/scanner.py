"""Scanning every configured account and region for waste, concurrently.

One target (or one kind in one target) failing — AccessDenied, throttling, a timeout — is
recorded as a `ScanFailure` and the rest of the report still comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.aws import CURRENT_ACCOUNT, AwsClients, Target, describe_aws_error
from bot.config import FinopsConfig
from bot.orphans.model import Finding, FindingKind, TargetContext, load_kinds
from bot.orphans.prices import PriceTable, default_prices

log = logging.getLogger(__name__)
MAX_WORKERS = 16


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
    return account if any(a.id == account for a in config.accounts) else CURRENT_ACCOUNT


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


def scan(
    aws: AwsClients,
    config: FinopsConfig,
    *,
    now: Callable[[], datetime],
    scope: ScanFilter | None = None,
    prices: PriceTable | None = None,
    max_workers: int = MAX_WORKERS,
) -> ScanResult:
    """Run every (selected) kind in every (selected) target; never raises for AWS errors."""
    scope = scope or ScanFilter()
    kinds = load_kinds()
    selected: Iterable[FindingKind] = [kinds[scope.kind]] if scope.kind else list(kinds.values())
    targets: list[Target] = [
        t for t in aws.targets() if scope.region is None or t.region == scope.region
    ]
    moment = now()
    own = (
        caller_account(aws, targets[0].region)
        if any(t.account == CURRENT_ACCOUNT for t in targets)
        else CURRENT_ACCOUNT
    )
    contexts = {
        t: target_context(
            aws,
            config,
            account=t.account,
            region=t.region,
            now=moment,
            prices=prices,
            account_id=own if t.account == CURRENT_ACCOUNT else t.account,
        )
        for t in targets
    }
    jobs = [(t, kind) for t in targets for kind in selected]
    result = ScanResult(targets=len(targets), scans=len(jobs))
    if not jobs:
        return result

    def run(job: tuple[Target, FindingKind]) -> tuple[list[Finding], ScanFailure | None]:
        target, kind = job
        try:
            return kind.scan(contexts[target]), None
        except Exception as exc:  # one target failing must not sink the report
            log.warning(
                "scan of %s in %s/%s failed: %s", kind.name, target.account, target.region, exc
            )
            return [], ScanFailure(
                target.account, target.region, kind.name, describe_aws_error(exc)
            )

    with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs))) as pool:
        for findings, failure in pool.map(run, jobs):
            result.findings.extend(f for f in findings if scope.keeps(f))
            if failure is not None:
                result.failures.append(failure)
    result.findings.sort(key=lambda f: (-f.monthly_cost, f.kind, f.resource_id))
    return result
