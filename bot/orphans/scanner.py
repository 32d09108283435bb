"""Scanning every configured account and region for waste, concurrently.

One target (or one kind in one target) failing — AccessDenied, throttling, a timeout — is
recorded as a `ScanFailure` and the rest of the report still comes back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from bot.aws import CURRENT_ACCOUNT, AwsClients, Target, describe_aws_error
from bot.config import FinopsConfig
from bot.findings.model import Finding, FindingKind
from bot.findings.prices import PriceTable
from bot.findings.scope import (
    ScanFailure,
    ScanFilter,
    ScanResult,
    caller_account,
    client_account,
    target_context,
)
from bot.observability.metrics import observe_scan
from bot.orphans.model import load_kinds

log = logging.getLogger(__name__)
MAX_WORKERS = 16

__all__ = [
    "ScanFailure",
    "ScanFilter",
    "ScanResult",
    "caller_account",
    "client_account",
    "scan",
    "target_context",
]


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
        started = time.perf_counter()
        try:
            found = kind.scan(contexts[target])
            observe_scan(kind.name, time.perf_counter() - started, ok=True)
            return found, None
        except Exception as exc:  # one target failing must not sink the report
            observe_scan(kind.name, time.perf_counter() - started, ok=False)
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
