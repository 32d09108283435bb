"""Recommended actions for an anomaly, from what grew: a small registry of rules.

Each rule looks at one top contributor (service and usage type) and names what to check,
in the spirit of the seed's `recommend_actions`. Adding a rule is one decorated function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Contributor:
    """One usage type's cost on the anomaly day against the same weekday a week before."""

    usage_type: str
    region: str
    account: str
    amount: Decimal
    before: Decimal

    @property
    def increase(self) -> Decimal:
        """How much more it cost than a week before."""
        return self.amount - self.before


@dataclass(frozen=True)
class Recommendation:
    """What to look at, and why."""

    key: str
    text: str


Rule = Callable[[str, Contributor], Recommendation | None]
RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    """Register a recommendation rule."""
    RULES.append(func)
    return func


@rule
def instances(service: str, item: Contributor) -> Recommendation | None:
    """EC2 instance hours grew: forgotten or oversized instances."""
    if "BoxUsage" in item.usage_type or "SpotUsage" in item.usage_type:
        kind = item.usage_type.split(":", 1)[-1] if ":" in item.usage_type else "instances"
        return Recommendation(
            "review-instances",
            f"Look for forgotten or oversized {kind} instances in {item.region} "
            "(launched around that day, idle or larger than needed): stop or right-size them.",
        )
    return None


@rule
def data_transfer(service: str, item: Contributor) -> Recommendation | None:
    """Data transfer or NAT bytes grew: endpoints, CDN, compression."""
    if "DataTransfer" in item.usage_type or "NatGateway-Bytes" in item.usage_type:
        return Recommendation(
            "optimize-data-transfer",
            "Find what moves the data: use VPC endpoints for S3/DynamoDB instead of NAT, "
            "serve through CloudFront, and compress responses.",
        )
    return None


@rule
def s3_requests(service: str, item: Contributor) -> Recommendation | None:
    """S3 request charges grew: batching, caching."""
    if "Requests-Tier" in item.usage_type:
        return Recommendation(
            "reduce-s3-requests",
            "Batch small S3 operations, cache hot objects (or put CloudFront in front), "
            "and check for retry or polling loops.",
        )
    return None


@rule
def storage(service: str, item: Contributor) -> Recommendation | None:
    """EBS or snapshot storage grew: unattached volumes, old snapshots."""
    if "EBS:" in item.usage_type or "SnapshotUsage" in item.usage_type:
        return Recommendation(
            "review-storage",
            "New volumes or snapshots: check `/orphans` for unattached volumes and old snapshots.",
        )
    return None


@rule
def databases(service: str, item: Contributor) -> Recommendation | None:
    """Database instance hours grew."""
    if "InstanceUsage:db" in item.usage_type or "Multi-AZUsage" in item.usage_type:
        return Recommendation(
            "review-databases",
            "A new or larger database instance: check recent RDS changes and test databases "
            "left running.",
        )
    return None


@rule
def account_level(service: str, item: Contributor) -> Recommendation | None:
    """Support and tax follow the rest of the bill."""
    if service.startswith("AWS Support") or service == "Tax":
        return Recommendation(
            "follows-total-spend",
            "Support and tax are billed from total spend: look at the other services' growth.",
        )
    return None


FALLBACK = Recommendation(
    "open-cost-explorer",
    "Open Cost Explorer for this service and day, grouped by usage type, to see what changed.",
)


def recommend(service: str, contributors: Sequence[Contributor]) -> list[Recommendation]:
    """The distinct recommendations for the top contributors, most important first."""
    found: list[Recommendation] = []
    for item in contributors:
        for check in RULES:
            advice = check(service, item)
            if advice is not None and advice.key not in {r.key for r in found}:
                found.append(advice)
    return found or [FALLBACK]
