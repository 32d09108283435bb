"""The sources `/savings` collects from, one small function each: adding a kind of
advice to the list is one function here."""

from __future__ import annotations

from bot.advice.savings import SourceResult, savings_source
from bot.advice.storage import scan_storage
from bot.orphans.scanner import ScanFilter, scan
from bot.services import Services


@savings_source("orphans", "/orphans")
def orphaned_resources(services: Services, scope: ScanFilter) -> SourceResult:
    """Paid-for waste: unattached volumes, idle addresses, empty load balancers, ..."""
    result = scan(services.aws, services.config, now=services.now,
                  scope=ScanFilter(team=scope.team, region=scope.region))
    return result.findings, result.failures


@savings_source("storage", "/storage")
def storage_advice(services: Services, scope: ScanFilter) -> SourceResult:
    """gp2 volumes to gp3 and buckets without a lifecycle policy."""
    report = scan_storage(services, ScanFilter(team=scope.team, region=scope.region))
    return report.volumes + report.buckets, report.failures
