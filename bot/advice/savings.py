"""`/savings`: every open recommendation of every kind (orphans, rightsizing, storage,
compute) in one list, sorted by monthly saving, with the total.

Each kind of advice is one registered source (`@savings_source`); the sources run
concurrently. A resource named by several sources (an idle batch instance is both a stop
candidate and a spot candidate) counts once, with the one recommendation
`precedence.one_per_resource` picks (waste first), so the total is what acting on the
list could really save; the others are kept as alternatives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from bot.advice.precedence import one_per_resource
from bot.aws import describe_aws_error
from bot.findings.model import Finding
from bot.findings.scope import ScanFailure, ScanFilter
from bot.services import Services

log = logging.getLogger(__name__)

#: A source's answer: its recommendations (monthly_cost = saving) and what it could not scan.
SourceResult = tuple[list[Finding], list[ScanFailure]]


@dataclass(frozen=True)
class SavingsSource:
    """One kind of advice: its name, the command that shows it in full, and its scan."""

    name: str
    command: str
    scan: Callable[[Services, ScanFilter], SourceResult]


SOURCES: dict[str, SavingsSource] = {}


def savings_source(
    name: str, command: str
) -> Callable[
    [Callable[[Services, ScanFilter], SourceResult]], Callable[[Services, ScanFilter], SourceResult]
]:
    """Decorator: register a scan function as a source of recommendations."""

    def register(
        scan: Callable[[Services, ScanFilter], SourceResult],
    ) -> Callable[[Services, ScanFilter], SourceResult]:
        if name in SOURCES:
            raise ValueError(f"savings source {name!r} registered twice")
        SOURCES[name] = SavingsSource(name, command, scan)
        return scan

    return register


@dataclass(frozen=True)
class Recommendation:
    """One line of the list: the finding and the source (command) it came from."""

    finding: Finding
    source: str
    command: str
    #: Other advice for the same resource, replaced by this one (largest saving first).
    alternatives: list[Recommendation] = field(default_factory=list)

    @property
    def saving(self) -> Decimal:
        """Monthly saving."""
        return self.finding.monthly_cost


@dataclass
class SavingsReport:
    """Recommendations (largest saving first) and what could not be looked at."""

    items: list[Recommendation] = field(default_factory=list)
    failures: list[ScanFailure] = field(default_factory=list)
    #: Same resource already listed with a larger saving by another source.
    overlapping: int = 0
    #: Reported by their command but left out here: tagged finops:protect.
    protected: int = 0
    protected_items: list[Recommendation] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        """Monthly saving of the whole list."""
        return sum((i.saving for i in self.items), Decimal("0.00"))

    def by_source(self) -> dict[str, Decimal]:
        """Monthly saving per source, largest first."""
        sums: dict[str, Decimal] = {}
        for item in self.items:
            sums[item.source] = sums.get(item.source, Decimal("0.00")) + item.saving
        return dict(sorted(sums.items(), key=lambda kv: (-kv[1], kv[0])))


def load_sources() -> dict[str, SavingsSource]:
    """Import the source registrations; return the registry."""
    from bot.advice import savings_sources  # noqa: F401 - imported for registration

    return SOURCES


def collect_savings(services: Services, scope: ScanFilter | None = None) -> SavingsReport:
    """Run every source (concurrently) and merge their recommendations."""
    scope = scope or ScanFilter()
    sources = list(load_sources().values())

    def run(source: SavingsSource) -> tuple[SavingsSource, SourceResult]:
        try:
            return source, source.scan(services, scope)
        except Exception as exc:  # one source failing must not sink the list
            log.warning("savings source %s failed", source.name, exc_info=True)
            failure = ScanFailure(
                "all accounts", "all regions", source.name, describe_aws_error(exc)
            )
            return source, ([], [failure])

    results = []
    with ThreadPoolExecutor(max_workers=max(1, len(sources))) as pool:
        results = list(pool.map(run, sources))
    return merge_savings(results, scope)


def merge_savings(
    results: list[tuple[SavingsSource, SourceResult]], scope: ScanFilter
) -> SavingsReport:
    """One list from every source's findings: a resource counts once, with the one
    recommendation `precedence.one_per_resource` picks (waste first); the others are its
    alternatives. Protected and zero-saving findings are left out (protected ones counted)."""
    report = SavingsReport()
    candidates: list[tuple[str, Finding]] = []
    commands = {source.name: source.command for source, _ in results}
    for source, (findings, failures) in results:
        report.failures += failures
        for finding in findings:
            if not scope.keeps(finding) or finding.monthly_cost <= 0:
                continue
            if finding.protected:
                report.protected += 1
                report.protected_items.append(Recommendation(finding, source.name, source.command))
                continue
            candidates.append((source.name, finding))
    best = []
    for choice in one_per_resource(candidates).values():
        report.overlapping += len(choice.alternatives)
        best.append(
            Recommendation(
                choice.finding,
                choice.source,
                commands[choice.source],
                alternatives=[Recommendation(f, s, commands[s]) for s, f in choice.alternatives],
            )
        )
    report.items = sorted(best, key=lambda i: (-i.saving, i.source, i.finding.resource_id))
    return report
