"""The anomalies job reads Cost Explorer through the `/cost` cache."""

from __future__ import annotations

from decimal import Decimal

from jobs.runner import run_job
from standins.cost_explorer import CostExplorerStandin
from tests.conftest import SlackStack
from tests.test_anomaly_job import MovingDay, day, demo_ce, prepare  # noqa: F401 - fixtures


def test_a_second_run_within_the_ttl_asks_cost_explorer_nothing(
    slack_stack: SlackStack,
    demo_ce: CostExplorerStandin,
    day: MovingDay,
) -> None:
    prepare(slack_stack, day, min_impact=Decimal(50))
    services = slack_stack.services
    first = run_job("anomalies", services)
    assert first.status == "ok", first.detail
    assert demo_ce.request_count > 0
    before = demo_ce.request_count
    second = run_job("anomalies", services)
    assert second.status == "ok", second.detail
    assert demo_ce.request_count == before  # everything came from the cache
