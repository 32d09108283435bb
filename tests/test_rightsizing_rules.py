"""The rightsizing rules at their edges (strict `<`), and the proposals' prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.advice.catalogue import default_catalogue
from bot.advice.metrics import Utilization
from bot.advice.rightsizing_rules import (
    NOT_IN_CATALOGUE,
    SMALLEST,
    Verdict,
    classify,
    downsize_proposal,
    stop_proposal,
)
from bot.config_advice import RightsizingConfig

RULES = RightsizingConfig()  # 10 % / 20 % idle, 40 % downsize, 72 h


def cpu(average: float, p95: float, hours: int = 336) -> Utilization:
    return Utilization(average=average, p95=p95, maximum=max(average, p95), hours=hours)


@pytest.mark.parametrize(
    ("average", "p95", "verdict"),
    [
        (9.99, 19.99, Verdict.IDLE),
        (0.0, 0.0, Verdict.IDLE),
        (10.0, 19.99, Verdict.OVERSIZED),  # average exactly 10: not idle
        (9.99, 20.0, Verdict.OVERSIZED),  # p95 exactly 20: not idle
        (2.0, 95.0, Verdict.OVERSIZED),  # bursty: low average, high peaks
        (39.99, 80.0, Verdict.OVERSIZED),
        (40.0, 50.0, Verdict.FINE),  # average exactly 40: leave it
        (60.0, 90.0, Verdict.FINE),
    ],
)
def test_thresholds_are_strict(average: float, p95: float, verdict: Verdict) -> None:
    assert classify(cpu(average, p95), RULES) is verdict


def test_thresholds_come_from_config() -> None:
    rules = RightsizingConfig(
        idle_avg_pct=Decimal("5"),
        idle_p95_pct=Decimal("8"),
        downsize_avg_pct=Decimal("30"),
        min_hours=10,
    )
    assert classify(cpu(6.0, 7.0), rules) is Verdict.OVERSIZED
    assert classify(cpu(4.0, 7.9, hours=10), rules) is Verdict.IDLE
    assert classify(cpu(30.0, 31.0), rules) is Verdict.FINE
    assert classify(cpu(4.0, 7.9, hours=9), rules) is Verdict.NOT_ENOUGH_DATA


def test_no_data_and_too_few_hours() -> None:
    assert classify(None, RULES) is Verdict.NO_DATA
    assert classify(cpu(1.0, 1.0, hours=0), RULES) is Verdict.NO_DATA
    assert classify(cpu(1.0, 1.0, hours=71), RULES) is Verdict.NOT_ENOUGH_DATA
    assert classify(cpu(1.0, 1.0, hours=72), RULES) is Verdict.IDLE


def test_stop_saves_the_whole_on_demand_price() -> None:
    catalogue = default_catalogue()
    proposal = stop_proposal(catalogue, "us-east-1", "m5.large")
    assert proposal.saving == Decimal("70.08")  # $0.096 x 730 h
    assert proposal.proposed_type is None and not proposal.approximate
    unknown = stop_proposal(catalogue, "us-east-1", "x9.huge")
    assert unknown.saving is None and unknown.note == NOT_IN_CATALOGUE


def test_downsize_saves_the_price_difference() -> None:
    catalogue = default_catalogue()
    proposal = downsize_proposal(catalogue, "us-east-1", "c5.xlarge")
    assert proposal.proposed_type == "c5.large"
    assert proposal.current_monthly == Decimal("124.10")  # $0.17 x 730
    assert proposal.proposed_monthly == Decimal("62.05")  # $0.085 x 730
    assert proposal.saving == Decimal("62.05")
    assert downsize_proposal(catalogue, "us-east-1", "m5.xlarge").proposed_type == "m5.large"
    smallest = downsize_proposal(catalogue, "us-east-1", "m5.large")
    assert smallest.note == SMALLEST and smallest.saving is None
    unknown = downsize_proposal(catalogue, "us-east-1", "x9.huge")
    assert unknown.note == NOT_IN_CATALOGUE and unknown.saving is None


def test_region_without_prices_falls_back_and_says_so() -> None:
    proposal = downsize_proposal(default_catalogue(), "sa-east-1", "c5.xlarge")
    assert proposal.approximate and proposal.saving == Decimal("62.05")
