"""/cost names the metric it shows: effective cost says it is amortized, and a CUR 2.0
metric read from several columns names them all (not only the first)."""

from __future__ import annotations

import pytest

from bot.cost.export_source import ExportSource
from bot.cost.export_sql import CUR2, FOCUS, Schema


class _Engine:
    relation = "export"

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def refresh(self) -> Schema:
        return Schema(kind=self.kind)

    def run(self, sql: str) -> list[tuple[object, ...]]:
        return []


@pytest.mark.parametrize(
    ("kind", "metric", "label"),
    [
        (FOCUS, "billed", "billed cost (BilledCost)"),
        (FOCUS, "effective", "effective cost, amortized (EffectiveCost)"),
        (FOCUS, "list", "list cost (ListCost)"),
        (CUR2, "billed", "billed cost (line_item_unblended_cost)"),
        (
            CUR2,
            "effective",
            "effective cost, amortized (reservation_effective_cost / "
            "savings_plan_savings_plan_effective_cost, else line_item_unblended_cost)",
        ),
        (CUR2, "list", "list cost (pricing_public_on_demand_cost, else line_item_unblended_cost)"),
    ],
)
def test_metric_labels(kind: str, metric: str, label: str) -> None:
    source = ExportSource(_Engine(kind), name="focus", team_tag="team", metric=metric)
    assert source.metric_label() == label
