"""The estate side of the digest: open waste and every open recommendation in $/month,
and tagging compliance.

Both read the findings inventory (refreshed first where due): the `/savings` kinds,
`/orphans` among them, and the `tags` kind, which lists the resources themselves so
untagged ones count. Never raises: a part that cannot be read becomes a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bot.aws import describe_aws_error
from bot.findings.scope import ScanFilter
from bot.inventory.listing import all_kinds, read_listing, refresh_and_wait
from bot.inventory.reports import savings_kinds, savings_report
from bot.inventory.tags import TAG_KINDS, checked_listing, tag_failures
from bot.orphans.waste import open_waste
from bot.services import Services
from bot.tags.compliance import TeamCompliance, team_compliance


@dataclass
class EstateFigures:
    """Open waste, tagging compliance and what could not be read."""

    waste: Decimal | None = None
    waste_items: int = 0
    waste_protected: str = ""  # `2 protected ($8.40/month) not counted`
    #: Every open recommendation (`/savings`): total and per source.
    savings: Decimal | None = None
    savings_items: int = 0
    savings_by_source: dict[str, Decimal] = field(default_factory=dict)
    tagged: int = 0  # resources carrying every required tag
    counted: int = 0  # resources listed (untagged ones included)
    teams: list[TeamCompliance] = field(default_factory=list)  # per team, "" = no team
    notes: list[str] = field(default_factory=list)

    @property
    def compliance_pct(self) -> Decimal | None:
        """Share of resources with every required tag, in %."""
        if not self.counted:
            return None
        return (Decimal(self.tagged) * 100 / self.counted).quantize(Decimal("0.1"))


def estate_figures(services: Services) -> EstateFigures:
    """Open waste and recommendations ($/month) and tagging compliance across all targets."""
    figures = EstateFigures()
    scope = ScanFilter()
    try:
        refresh_and_wait(services, kinds=all_kinds(), scope=scope)  # one refresh for both
    except Exception as exc:
        figures.notes.append(f"The inventory could not be refreshed: {describe_aws_error(exc)}.")
    try:
        # The same stored findings /savings lists; open waste by the /orphans definition,
        # protected findings counted apart.
        report = savings_report(read_listing(services, kinds=savings_kinds(), scope=scope), scope)
        everything = report.items + report.protected_items
        waste = open_waste(i.finding for i in everything if i.source == "orphans")
        figures.waste, figures.waste_items = waste.amount, waste.count
        figures.waste_protected = waste.protected_note()
        figures.savings, figures.savings_items = report.total, len(report.items)
        figures.savings_by_source = report.by_source()
        if report.failures:
            figures.notes.append(
                f"Savings: {len(report.failures)} part(s) of the estate could not be scanned."
            )
    except Exception as exc:
        figures.notes.append(f"Savings could not be scanned: {describe_aws_error(exc)}.")
    try:
        listing = read_listing(services, kinds=TAG_KINDS, scope=scope)
        checked = checked_listing(listing, services.config, team=None)
        figures.counted = len(checked)
        figures.tagged = sum(c.compliant for c in checked)
        figures.teams = team_compliance(checked)
        failures = tag_failures(listing)
        if failures:
            figures.notes.append(
                f"Tags: {len(failures)} part(s) of the estate could not be listed."
            )
    except Exception as exc:
        figures.notes.append(f"Tags could not be checked: {describe_aws_error(exc)}.")
    return figures
