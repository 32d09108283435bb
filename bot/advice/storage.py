"""`/storage`: gp2 volumes to move to gp3 and S3 buckets without a lifecycle policy,
across every configured account and region; and requesting one of those changes
through the cleanup approval flow (bot.remediation)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from bot.advice import storage_buckets as buckets
from bot.advice import storage_volumes as volumes
from bot.advice.common import advice_contexts
from bot.advice.precedence import demote, one_per_resource, resource_key, total_saving
from bot.aws import describe_aws_error
from bot.findings.model import Finding, TargetContext
from bot.findings.scope import ScanFailure, ScanFilter
from bot.services import Services

log = logging.getLogger(__name__)
MAX_WORKERS = 16

#: Each kind of storage advice and how to look at one resource again right now.
RECHECKS: dict[str, Callable[[TargetContext, str], Finding]] = {
    volumes.KIND: volumes.recheck_volume,
    buckets.KIND: buckets.recheck_bucket,
}


@dataclass
class StorageReport:
    """gp2 volumes and lifecycle-less buckets (largest saving first), and what failed."""

    volumes: list[Finding] = field(default_factory=list)
    buckets: list[Finding] = field(default_factory=list)
    failures: list[ScanFailure] = field(default_factory=list)

    @property
    def volume_saving(self) -> Decimal:
        """Monthly saving of moving every (unprotected) gp2 volume to gp3, leaving out those
        whose recommendation is another (an unattached one is deleted, not converted)."""
        return total_saving(self.volumes)

    @property
    def bucket_saving(self) -> Decimal:
        """Estimated monthly saving of the lifecycle policy on every (unprotected) bucket."""
        return sum((f.monthly_cost for f in self.buckets if not f.protected), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        """Both savings."""
        return self.volume_saving + self.bucket_saving


def _sort(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.monthly_cost, f.region, f.resource_id))


def scan_buckets(contexts: dict[str, TargetContext]) -> list[Finding]:
    """Lifecycle-less buckets of one account in the contexts' regions (region → context)."""
    first = next(iter(contexts.values()))
    s3 = first.client("s3")
    by_region: dict[str, list[str]] = defaultdict(list)
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        region = buckets.bucket_region(
            s3.get_bucket_location(Bucket=name).get("LocationConstraint")
        )
        if region in contexts:
            by_region[region].append(name)
    found: list[Finding] = []
    for region, names in sorted(by_region.items()):
        ctx = contexts[region]
        regional = ctx.client("s3")
        bare = [n for n in names if not buckets.has_lifecycle(regional, n)]
        sizes = buckets.bucket_sizes(ctx, bare) if bare else {}
        found += [
            buckets.bucket_advice(ctx, n, buckets.bucket_tags(regional, n), sizes.get(n))
            for n in bare
        ]
    return found


def scan_storage(
    services: Services, scope: ScanFilter | None = None, *, max_workers: int = MAX_WORKERS
) -> StorageReport:
    """Storage advice for every (selected) account and region; never raises for AWS errors."""
    scope = scope or ScanFilter()
    report = StorageReport()
    contexts = advice_contexts(services, scope)
    if not contexts:
        return report
    by_account: dict[str, dict[str, TargetContext]] = defaultdict(dict)
    for t, ctx in contexts.items():
        by_account[t.account][t.region] = ctx
    jobs: list[tuple[str, str, str, Callable[[], list[Finding]]]] = [
        (t.account, t.region, volumes.KIND, partial(volumes.scan_volumes, ctx))
        for t, ctx in contexts.items()
    ]
    jobs += [
        (account, "all regions", buckets.KIND, partial(scan_buckets, regions))
        for account, regions in by_account.items()
    ]

    def run(
        job: tuple[str, str, str, Callable[[], list[Finding]]],
    ) -> tuple[str, list[Finding], ScanFailure | None]:
        account, region, kind, work = job
        try:
            return kind, work(), None
        except Exception as exc:  # one target failing must not sink the report
            log.warning("storage scan of %s in %s/%s failed: %s", kind, account, region, exc)
            return kind, [], ScanFailure(account, region, kind, describe_aws_error(exc))

    with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs))) as pool:
        for kind, findings, failure in pool.map(run, jobs):
            kept = [f for f in findings if scope.keeps(f)]
            (report.volumes if kind == volumes.KIND else report.buckets).extend(kept)
            if failure is not None:
                report.failures.append(failure)
    report.volumes = _sort(_waste_first(report.volumes))
    report.buckets = _sort(report.buckets)
    return report


def _waste_first(found: list[Finding]) -> list[Finding]:
    """An unattached gp2 volume is waste (`/orphans` proposes deleting it): gp3 is only its
    alternative here, as everywhere (`precedence.one_per_resource`)."""
    waste = [("orphans", f) for f in found if f.details.get("state") == "available"]
    chosen = one_per_resource([*waste, *(("storage", f) for f in found)])
    for finding in found:
        if chosen[resource_key(finding)].source == "orphans":
            demote(
                finding, instead="unattached: `/orphans` proposes deleting it", command="/orphans"
            )
    return found
