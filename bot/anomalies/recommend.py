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
    """One service x account x region x usage type: its cost on the anomaly day (`amount`)
    against what it usually costs that weekday (`expected`)."""

    usage_type: str
    region: str
    account: str
    amount: Decimal
    expected: Decimal
    service: str = ""

    @property
    def increase(self) -> Decimal:
        """Its dollar impact: how much more it cost than expected."""
        return self.amount - self.expected


@dataclass(frozen=True)
class Recommendation:
    """What to look at, why, and the bot command that lists it (if any)."""

    key: str
    text: str
    command: str = ""


Rule = Callable[[str, Contributor, str], Recommendation | None]
RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    """Register a recommendation rule."""
    RULES.append(func)
    return func


def _with_team(command: str, team: str) -> str:
    return f"{command} team={team}" if team else command


@rule
def instances(service: str, item: Contributor, team: str) -> Recommendation | None:
    """EC2 instance hours grew: forgotten or oversized instances."""
    if "BoxUsage" in item.usage_type or "SpotUsage" in item.usage_type:
        kind = item.usage_type.split(":", 1)[-1] if ":" in item.usage_type else "instances"
        return Recommendation(
            "review-instances",
            f"Look for forgotten or oversized {kind} instances in {item.region} "
            "(launched around that day, idle or larger than needed): stop or right-size them.",
            _with_team("/rightsize", team),
        )
    return None


@rule
def data_transfer(service: str, item: Contributor, team: str) -> Recommendation | None:
    """Data transfer or NAT bytes grew: endpoints, CDN, compression."""
    usage = item.usage_type
    if "DataTransfer" in usage or "NatGateway" in usage or "-Bytes" in usage:
        return Recommendation(
            "optimize-data-transfer",
            f"Find what moves the data in {item.region}: route S3/DynamoDB through VPC "
            "endpoints instead of the NAT gateway, serve through CloudFront, and compress "
            "responses.",
            _with_team("/cost", team) + " by=usage-type period=7d",
        )
    return None


@rule
def s3_requests(service: str, item: Contributor, team: str) -> Recommendation | None:
    """S3 request charges grew: batching, caching."""
    if "Requests-Tier" in item.usage_type:
        return Recommendation(
            "reduce-s3-requests",
            "Check the S3 request pattern: batch small operations, cache hot objects (or put "
            "CloudFront in front), and look for retry or polling loops and LIST-heavy jobs.",
            _with_team("/storage", team),
        )
    return None


@rule
def storage(service: str, item: Contributor, team: str) -> Recommendation | None:
    """EBS or snapshot storage grew: unattached volumes, old snapshots."""
    if "EBS:" in item.usage_type or "SnapshotUsage" in item.usage_type:
        return Recommendation(
            "review-storage",
            "New volumes or snapshots: look for unattached volumes and old snapshots.",
            _with_team("/orphans", team),
        )
    return None


@rule
def databases(service: str, item: Contributor, team: str) -> Recommendation | None:
    """Database instance hours grew."""
    if "InstanceUsage:db" in item.usage_type or "Multi-AZUsage" in item.usage_type:
        return Recommendation(
            "review-databases",
            "A new or larger database instance: check recent RDS changes and test databases "
            "left running.",
        )
    return None


@rule
def functions(service: str, item: Contributor, team: str) -> Recommendation | None:
    """Lambda duration or requests grew."""
    if "Lambda-GB-Second" in item.usage_type or item.usage_type.split("-")[-1] == "Request":
        return Recommendation(
            "review-functions",
            "Lambda grew: look for a function called in a loop, a longer timeout or more "
            "memory than it needs.",
        )
    return None


@rule
def account_level(service: str, item: Contributor, team: str) -> Recommendation | None:
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


def recommend(
    service: str, contributors: Sequence[Contributor], *, team: str | None = None
) -> list[Recommendation]:
    """The distinct recommendations for the contributors, the top contributor's first."""
    found: list[Recommendation] = []
    for item in contributors:
        for check in RULES:
            advice = check(service, item, team or "")
            if advice is not None and advice.key not in {r.key for r in found}:
                found.append(advice)
    return found or [FALLBACK]
