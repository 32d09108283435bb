"""The rightsizing rules as pure functions: what CPU utilization calls for, and what the
proposal saves. Thresholds come from `config.rightsizing` and are strict (`<`).

- idle: average < idle_avg_pct and p95 < idle_p95_pct → stop (or terminate); the saving is
  the instance's full on-demand monthly price (its EBS volumes keep costing).
- oversized: otherwise average < downsize_avg_pct → the next smaller size in the family;
  the saving is the difference of the two on-demand monthly prices.
- fewer than min_hours hourly points → not enough data; none at all → no data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.advice.catalogue import InstanceCatalogue
from bot.advice.metrics import Utilization
from bot.config_advice import RightsizingConfig

NOT_IN_CATALOGUE = "not in the catalogue"
SMALLEST = "already the smallest size in its family"


class Verdict(StrEnum):
    """What an instance's CPU history calls for."""

    IDLE = "idle"
    OVERSIZED = "oversized"
    FINE = "fine"
    NOT_ENOUGH_DATA = "not-enough-data"
    NO_DATA = "no-data"


def percent(value: float) -> Decimal:
    """A utilization figure as a Decimal (compared with the configured thresholds)."""
    return Decimal(repr(float(value)))


def is_idle(average: float, p95: float, rules: RightsizingConfig) -> bool:
    """Average and p95 both under the idle thresholds."""
    return percent(average) < rules.idle_avg_pct and percent(p95) < rules.idle_p95_pct


def is_oversized(average: float, rules: RightsizingConfig) -> bool:
    """Average under the downsize threshold (an idle instance is oversized too)."""
    return percent(average) < rules.downsize_avg_pct


def classify(utilization: Utilization | None, rules: RightsizingConfig) -> Verdict:
    """The verdict for one instance's hourly CPU summary (None: CloudWatch had nothing)."""
    if utilization is None or utilization.hours == 0:
        return Verdict.NO_DATA
    if utilization.hours < rules.min_hours:
        return Verdict.NOT_ENOUGH_DATA
    if is_idle(utilization.average, utilization.p95, rules):
        return Verdict.IDLE
    if is_oversized(utilization.average, rules):
        return Verdict.OVERSIZED
    return Verdict.FINE


@dataclass(frozen=True)
class Proposal:
    """A proposal's prices; `saving` is None (with `note` saying why) when unknown."""

    current_type: str
    proposed_type: str | None  # None: stop/terminate, or no smaller size known
    current_monthly: Decimal | None
    proposed_monthly: Decimal | None
    saving: Decimal | None
    approximate: bool = False
    note: str = ""  # NOT_IN_CATALOGUE, SMALLEST, or ""


def stop_proposal(catalogue: InstanceCatalogue, region: str, instance_type: str) -> Proposal:
    """Stopping saves the instance's whole on-demand monthly price."""
    price = catalogue.monthly(region, instance_type)
    if price is None:
        return Proposal(instance_type, None, None, None, None, note=NOT_IN_CATALOGUE)
    return Proposal(
        instance_type, None, price.amount, Decimal("0.00"), price.amount, price.approximate
    )


def downsize_proposal(catalogue: InstanceCatalogue, region: str, instance_type: str) -> Proposal:
    """The next smaller size in the family and the price difference (or why there is none)."""
    current = catalogue.monthly(region, instance_type)
    if current is None or catalogue.instance_type(instance_type) is None:
        return Proposal(instance_type, None, None, None, None, note=NOT_IN_CATALOGUE)
    smaller = catalogue.next_smaller(instance_type)
    if smaller is None:
        return Proposal(
            instance_type, None, current.amount, None, None, current.approximate, note=SMALLEST
        )
    after = catalogue.monthly(region, smaller.name)
    if after is None:
        return Proposal(
            instance_type,
            smaller.name,
            current.amount,
            None,
            None,
            current.approximate,
            note=NOT_IN_CATALOGUE,
        )
    return Proposal(
        instance_type,
        smaller.name,
        current.amount,
        after.amount,
        max(Decimal("0.00"), current.amount - after.amount),
        current.approximate or after.approximate,
    )
