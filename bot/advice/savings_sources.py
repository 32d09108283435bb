"""The sources `/savings` collects from, one small function each: adding a kind of
advice to the list is one function here."""

from __future__ import annotations

from bot.advice.compute import scan_compute
from bot.advice.rightsizing import ASG_TAG, scan_rightsizing
from bot.advice.savings import SourceResult, savings_source
from bot.advice.storage import scan_storage
from bot.orphans.scanner import ScanFilter, scan
from bot.services import Services


@savings_source("orphans", "/orphans")
def orphaned_resources(services: Services, scope: ScanFilter) -> SourceResult:
    """Paid-for waste: unattached volumes, idle addresses, empty load balancers, ..."""
    result = scan(
        services.aws,
        services.config,
        now=services.now,
        scope=ScanFilter(team=scope.team, region=scope.region),
    )
    return result.findings, result.failures


@savings_source("storage", "/storage")
def storage_advice(services: Services, scope: ScanFilter) -> SourceResult:
    """gp2 volumes to gp3 and buckets without a lifecycle policy."""
    report = scan_storage(services, ScanFilter(team=scope.team, region=scope.region))
    return report.volumes + report.buckets, report.failures


@savings_source("compute", "/compute")
def compute_advice(services: Services, scope: ScanFilter) -> SourceResult:
    """Spot by workload, ECS clusters with too many nodes, Fargate services cheaper on EC2."""
    report = scan_compute(services, ScanFilter(team=scope.team, region=scope.region))
    return report.findings, report.failures


@savings_source("rightsizing", "/rightsize")
def rightsizing_advice(services: Services, scope: ScanFilter) -> SourceResult:
    """Idle instances to stop and oversized ones to downsize (not those an Auto Scaling
    group manages: their size is the group's; `/compute` covers groups)."""
    report = scan_rightsizing(services, ScanFilter(team=scope.team, region=scope.region))
    return [f for f in report.findings if ASG_TAG not in f.tags], report.failures
