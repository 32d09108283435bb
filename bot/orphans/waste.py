"""Open waste, one definition for `/orphans`, `scan orphans` and the digest: the monthly
cost of every orphan finding that may be cleaned up; protected ones (`finops:protect`)
are counted apart, never in the figure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from bot.orphans.model import Finding
from bot.orphans.prices import format_money


@dataclass(frozen=True)
class OpenWaste:
    """Waste that can be cleaned up, and the protected waste beside it."""

    amount: Decimal
    count: int
    protected_amount: Decimal
    protected_count: int

    def protected_note(self) -> str:
        """`2 protected ($8.40/month) not counted`, or ""."""
        if not self.protected_count:
            return ""
        return (
            f"{self.protected_count} protected ({format_money(self.protected_amount)}/month) "
            "not counted"
        )


def open_waste(findings: Iterable[Finding]) -> OpenWaste:
    """The open-waste figure of orphan findings."""
    amount, protected = Decimal("0.00"), Decimal("0.00")
    count = protected_count = 0
    for finding in findings:
        if finding.protected:
            protected += finding.monthly_cost
            protected_count += 1
        else:
            amount += finding.monthly_cost
            count += 1
    return OpenWaste(amount, count, protected, protected_count)
