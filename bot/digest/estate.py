"""The estate side of the digest: open waste in $/month and tagging compliance.

Both read AWS directly (the `/orphans` scanner; the `/tags` inventory, which lists the
resources themselves so untagged ones count) and never raise: a part that cannot be read
becomes a note in the digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bot.aws import describe_aws_error
from bot.orphans.scanner import scan
from bot.services import Services
from bot.tags.compliance import TeamCompliance, checked_inventory, team_compliance
from bot.tags.inventory import list_resources


@dataclass
class EstateFigures:
    """Open waste, tagging compliance and what could not be read."""

    waste: Decimal | None = None
    waste_items: int = 0
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
    """Open waste (every finding, $/month) and tagging compliance across all targets."""
    figures = EstateFigures()
    try:
        result = scan(services.aws, services.config, now=services.now)
        figures.waste, figures.waste_items = result.total, len(result.findings)
        if result.failures:
            figures.notes.append(f"Waste: {len(result.failures)} part(s) of the estate could "
                                 "not be scanned.")
    except Exception as exc:
        figures.notes.append(f"Waste could not be scanned: {describe_aws_error(exc)}.")
    try:
        inventory = list_resources(services.aws, services.config)
        checked = checked_inventory(inventory, services.config)
        figures.counted = len(checked)
        figures.tagged = sum(c.compliant for c in checked)
        figures.teams = team_compliance(checked)
        if inventory.failures:
            figures.notes.append(f"Tags: {len(inventory.failures)} part(s) of the estate could "
                                 "not be listed.")
    except Exception as exc:
        figures.notes.append(f"Tags could not be checked: {describe_aws_error(exc)}.")
    return figures
