"""The listing reports of every command, built from the inventory instead of a live scan:
the same report types the renderers already draw, so a figure is the same everywhere."""

from __future__ import annotations

from bot.advice import storage_buckets as buckets
from bot.advice import storage_volumes as volumes
from bot.advice.compute import ComputeReport
from bot.advice.precedence import defer_to_stronger
from bot.advice.rightsizing import ASG_TAG, NoData, RightsizeReport, sort_findings
from bot.advice.savings import SavingsReport, SavingsSource, SourceResult, merge_savings
from bot.advice.storage import StorageReport
from bot.findings.model import Finding
from bot.findings.registry import load_kinds
from bot.findings.scope import ScanFilter, ScanResult
from bot.inventory.listing import Listing, family_kinds

#: Each listing family as a `/savings` source: (source name, its command).
SAVINGS_SOURCES = {
    "orphans": ("orphans", "/orphans"),
    "storage": ("storage", "/storage"),
    "compute": ("compute", "/compute"),
    "rightsize": ("rightsizing", "/rightsize"),
}


def savings_kinds() -> list[str]:
    """The kinds `/savings` (and the digest's savings) read: every family it merges."""
    return sorted(k for k, v in load_kinds().items() if v.family in SAVINGS_SOURCES)


def orphans_kinds(scope: ScanFilter) -> list[str]:
    """The waste kinds `/orphans` reads (one with `kind=`)."""
    return [scope.kind] if scope.kind else family_kinds("orphans")


def orphans_report(listing: Listing) -> ScanResult:
    """`/orphans`: the waste findings."""
    return ScanResult(
        findings=list(listing.findings), failures=list(listing.failures), targets=listing.targets
    )


def storage_report(listing: Listing) -> StorageReport:
    """`/storage`: gp2 volumes and lifecycle-less buckets."""
    report = StorageReport(failures=list(listing.failures))
    report.volumes = [f for f in listing.findings if f.kind == volumes.KIND]
    report.buckets = [f for f in listing.findings if f.kind == buckets.KIND]
    return report


def _team(scope: ScanFilter, team: str | None) -> bool:
    return scope.team is None or team == scope.team


def compute_kinds(scope: ScanFilter) -> list[str]:
    """What `/compute` reads: its own kinds, and rightsizing's (which wins for a resource
    both advise on, as in `/savings`)."""
    return family_kinds("compute") + family_kinds("rightsize")


def compute_report(listing: Listing, scope: ScanFilter) -> ComputeReport:
    """`/compute`: spot candidates, ECS capacity, and what stays on-demand and why. An
    instance `/rightsize` proposes to stop or shrink keeps that as its recommendation:
    spot is only its alternative here (no button, not in the total)."""
    kinds = load_kinds()
    own = {name for k in family_kinds("compute") for name in kinds[k].finding_kinds()}
    mine = [f for f in listing.findings if f.kind in own]
    stronger = [("rightsizing", f) for f in listing.findings if f.kind not in own]
    findings = defer_to_stronger(mine, source="compute", stronger=stronger)
    report = ComputeReport(findings=findings, failures=list(listing.failures))
    on_demand = [Finding.from_json(f) for f in listing.extras("spot", "on_demand")]
    report.on_demand = sorted(
        (f for f in on_demand if scope.keeps(f)),
        key=lambda f: (f.resource_type != "auto-scaling-group", f.region, f.resource_id),
    )
    report.untagged = [r for r, team in listing.extras("spot", "untagged") if _team(scope, team)]
    no_data = [Finding.from_json(f) for f in listing.extras("ecs", "no_data")]
    report.no_data = [f for f in no_data if scope.keeps(f)]
    report.notes = [line for team, line in listing.extras("ecs", "notes") if _team(scope, team)]
    return report


def rightsize_report(listing: Listing, scope: ScanFilter) -> RightsizeReport:
    """`/rightsize`: idle and oversized instances, and those without CPU data."""
    report = RightsizeReport(
        findings=sort_findings(list(listing.findings)), failures=list(listing.failures)
    )
    report.no_data = sorted(
        (NoData(**d) for d in listing.extras("rightsizing", "no_data")),
        key=lambda n: (n.region, n.instance_id),
    )
    report.no_data = [n for n in report.no_data if _team(scope, n.team)]
    # running instances of the team asked about, not of every team
    report.instances = listing.extra_total("rightsizing", "instances", team=scope.team)
    return report


def savings_report(listing: Listing, scope: ScanFilter) -> SavingsReport:
    """`/savings`, the digest's savings: every kind's findings merged (one per resource)."""
    kinds = load_kinds()
    grouped: dict[str, list[Finding]] = {name: [] for name in SAVINGS_SOURCES}
    for finding in listing.findings:
        kind = next((k for k in kinds.values() if finding.kind in k.finding_kinds()), None)
        if kind is None or kind.family not in grouped:
            continue
        if kind.family == "rightsize" and ASG_TAG in finding.tags:
            continue  # a group's size is the group's: /compute covers groups
        grouped[kind.family].append(finding)
    results: list[tuple[SavingsSource, SourceResult]] = []
    for family, findings in grouped.items():
        name, command = SAVINGS_SOURCES[family]
        source = SavingsSource(name, command, lambda _s, _f: ([], []))
        results.append((source, (findings, [])))
    report = merge_savings(results, scope)
    report.failures = list(listing.failures)
    return report
