"""What the configured inventory schedule costs in AWS API calls per month (printed by
`finops-bot jobs`): GetMetricData bills per metric requested; describe calls are free."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.config import FinopsConfig
from bot.findings.registry import load_kinds
from bot.formatting import format_money

#: GetMetricData: $0.01 per 1,000 metrics requested.
PRICE_PER_METRIC = Decimal("0.01") / 1000
MINUTES_PER_MONTH = 30 * 24 * 60


@dataclass(frozen=True)
class KindCost:
    """One metric-reading kind's projected monthly cost."""

    kind: str
    resources: int
    refreshes_per_month: int
    metrics: int
    cost: Decimal


def refresh_minutes(config: FinopsConfig, kind: str, job_minutes: int) -> int:
    """How often a kind is really rescanned: its max age, but no more often than the job."""
    settings = config.inventory
    registered = load_kinds()[kind]
    own = settings.kind_max_age_minutes.get(kind) or (
        settings.metrics_max_age_minutes
        if registered.refresh == "metrics"
        else settings.max_age_minutes
    )
    return max(own, job_minutes)


def projected_costs(
    config: FinopsConfig, resources: dict[str, int], *, job_minutes: int = 30
) -> list[KindCost]:
    """Monthly GetMetricData cost per metric-reading kind, for `resources` per kind."""
    lines = []
    for name, kind in sorted(load_kinds().items()):
        if not kind.metrics_per_resource:
            continue
        per_month = MINUTES_PER_MONTH // refresh_minutes(config, name, job_minutes)
        count = resources.get(name, 0)
        metrics = count * kind.metrics_per_resource * per_month
        lines.append(KindCost(name, count, per_month, metrics, PRICE_PER_METRIC * metrics))
    return lines


def describe_costs(lines: list[KindCost]) -> list[str]:
    """Printable lines, with the total."""
    out = [
        f"  {c.kind:<14} {c.resources:>7,} resource(s) x {c.refreshes_per_month:>5,} refresh(es)"
        f" = {c.metrics:>12,} metrics  {format_money(c.cost):>10}"
        for c in lines
    ]
    total = sum((c.cost for c in lines), Decimal("0"))
    out.append(f"  total {format_money(total)}/month (GetMetricData; describe calls are free)")
    return out
