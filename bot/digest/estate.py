"""The estate side of the digest: open waste in $/month and tagging compliance.

Both read AWS directly (the `/orphans` scanner; the Resource Groups Tagging API) and never
raise: a part that cannot be read becomes a note in the digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bot.aws import describe_aws_error
from bot.orphans.scanner import scan
from bot.services import Services


@dataclass
class EstateFigures:
    """Open waste, tagging compliance and what could not be read."""

    waste: Decimal | None = None
    waste_items: int = 0
    tagged: int = 0  # resources carrying every required tag
    counted: int = 0  # resources the Tagging API lists (it never lists untagged ones)
    notes: list[str] = field(default_factory=list)

    @property
    def compliance_pct(self) -> Decimal | None:
        """Share of listed resources with every required tag, in %."""
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
    required = services.config.tags.required
    for target in services.aws.targets():
        try:
            tagging = services.aws.client("resourcegroupstaggingapi", region=target.region,
                                         account=target.account)
            for page in tagging.get_paginator("get_resources").paginate():
                for resource in page.get("ResourceTagMappingList", []):
                    keys = {t["Key"] for t in resource.get("Tags", [])}
                    figures.counted += 1
                    figures.tagged += all(k in keys for k in required)
        except Exception as exc:
            figures.notes.append(f"Tags in {target.region}: {describe_aws_error(exc)}.")
    return figures
