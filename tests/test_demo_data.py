"""The demo cost line items: reproducible, realistic in shape, with one clear anomaly."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import boto3
import pytest

from standins.cost_explorer import CostExplorerStandin, LineItem
from standins.demo_data import (
    DEMO_ANOMALY,
    DEV_ACCOUNT,
    EC2_COMPUTE,
    PROD_ACCOUNT,
    SUPPORT,
    TAX,
    demo_line_items,
)

TODAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def items() -> list[LineItem]:
    return demo_line_items(today=TODAY)


def test_reproducible_for_a_seed(items: list[LineItem]) -> None:
    assert demo_line_items(today=TODAY) == items
    other = demo_line_items(today=TODAY, seed=8)
    assert len(other) == len(items)
    assert [i.amount for i in other] != [i.amount for i in items]


def test_covers_the_days_before_today_only(items: list[LineItem]) -> None:
    days = {i.usage_date for i in items}
    assert min(days) == TODAY - timedelta(days=120)
    assert max(days) == TODAY - timedelta(days=1)
    assert len(days) == 120
    assert len(demo_line_items(today=TODAY, days=10)) < len(items)


def test_size_and_speed() -> None:
    started = time.thread_time()  # this thread's CPU: a busy CI machine's other work is not ours
    items = demo_line_items(today=TODAY)
    assert time.thread_time() - started < 1.0
    assert 5_000 < len(items) < 15_000


def test_amounts_are_decimals_with_at_most_ten_places(items: list[LineItem]) -> None:
    for item in items:
        assert type(item.amount) is Decimal and type(item.usage_quantity) is Decimal
        exponent = item.amount.as_tuple().exponent
        assert isinstance(exponent, int) and exponent >= -10
        assert item.amount > 0


def test_dimensions(items: list[LineItem]) -> None:
    assert {i.account_id for i in items} == {PROD_ACCOUNT, DEV_ACCOUNT}
    assert {i.region for i in items} == {"us-east-1", "eu-west-1", "global"}
    assert {i.tags.get("Team") for i in items} == {"payments", "search", "data", None}
    assert {
        "Amazon Elastic Compute Cloud - Compute",
        "EC2 - Other",
        "Amazon Simple Storage Service",
        "Amazon Relational Database Service",
        "AWS Data Transfer",
        "AmazonCloudWatch",
        "AWS Support (Business)",
        "Tax",
    } == {i.service for i in items}
    assert "EUW1-EBS:VolumeUsage.gp3" in {i.usage_type for i in items}
    tagged = [i for i in items if i.tags]
    with_owner = [i for i in tagged if "Owner" in i.tags and "Project" in i.tags]
    assert len(with_owner) / len(tagged) > 0.7
    assert all(i.tags["Environment"] in ("prod", "dev") for i in tagged)


def test_monthly_totals_in_range(items: list[LineItem]) -> None:
    months: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for item in items:
        months[(item.usage_date.year, item.usage_date.month)] += item.amount
    first = TODAY - timedelta(days=120)
    full = [m for m in months if date(*m, 1) >= first and (m[0], m[1]) < (TODAY.year, TODAY.month)]
    assert len(full) >= 3
    for month in full:
        assert Decimal(15_000) < months[month] < Decimal(25_000), month


def test_untagged_share_is_about_eight_percent(items: list[LineItem]) -> None:
    usage = [i for i in items if i.record_type == "Usage"]
    untagged = sum((i.amount for i in usage if "Team" not in i.tags), Decimal(0))
    share = untagged / sum((i.amount for i in usage), Decimal(0))
    assert Decimal("0.06") < share < Decimal("0.10")


def test_support_and_tax_on_the_first(items: list[LineItem]) -> None:
    support = [i for i in items if i.record_type == "Support"]
    tax = [i for i in items if i.record_type == "Tax"]
    assert support and len(support) == len(tax)
    assert all(i.usage_date.day == 1 and i.service == SUPPORT for i in support)
    assert all(i.usage_date.day == 1 and i.service == TAX for i in tax)
    assert all(i.region == "global" and not i.tags for i in support + tax)


def test_weekdays_cost_more_and_spend_grows(items: list[LineItem]) -> None:
    daily: dict[date, Decimal] = defaultdict(Decimal)
    for item in items:
        if item.record_type == "Usage":
            daily[item.usage_date] += item.amount
    weekdays = [v for d, v in daily.items() if d.weekday() < 5]
    weekends = [v for d, v in daily.items() if d.weekday() >= 5]
    assert statistics.mean(weekends) < statistics.mean(weekdays) * Decimal("0.95")
    days = sorted(daily)
    first_month = sum(daily[d] for d in days[:28])
    last_month = sum(daily[d] for d in days[-28:])
    assert Decimal("1.25") < last_month / first_month < Decimal("1.6")  # ~10 % a month


def _anomaly_series(items: list[LineItem]) -> dict[date, Decimal]:
    series: dict[date, Decimal] = defaultdict(Decimal)
    for item in items:
        if (
            item.tags.get("Team") == DEMO_ANOMALY.team
            and item.service == DEMO_ANOMALY.service
            and item.region == DEMO_ANOMALY.region
            and item.account_id == DEMO_ANOMALY.account_id
        ):
            series[item.usage_date] += item.amount
    return series


def test_the_anomaly_stands_out(items: list[LineItem]) -> None:
    assert DEMO_ANOMALY.service == EC2_COMPUTE and DEMO_ANOMALY.region == "eu-west-1"
    spike = DEMO_ANOMALY.days(TODAY)
    assert len(spike) == 3
    assert DEMO_ANOMALY.end(TODAY) == TODAY - timedelta(days=6)
    series = _anomaly_series(items)
    before = [series[d] for d in sorted(series) if d < spike[0]][-28:]
    normal = statistics.median(before)
    for day in spike:
        assert 2.4 < series[day] / normal < 3.8, day
    after = [series[d] for d in sorted(series) if d > spike[-1]]
    assert all(v < normal * Decimal("1.5") for v in after)
    # No other team/service/region series has a day at twice its median.
    others: dict[tuple[str, str, str, str], dict[date, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    for item in items:
        if item.record_type == "Usage":
            key = (item.tags.get("Team", ""), item.service, item.region, item.account_id)
            others[key][item.usage_date] += item.amount
    anomaly_key = (DEMO_ANOMALY.team, DEMO_ANOMALY.service, DEMO_ANOMALY.region, PROD_ACCOUNT)
    for key, other in others.items():
        if key != anomaly_key:
            assert max(other.values()) < statistics.median(other.values()) * 2, key


def test_demo_data_through_the_standin(items: list[LineItem]) -> None:
    server = CostExplorerStandin(items, today=TODAY)
    url = server.start()
    try:
        ce = boto3.client(
            "ce",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        start, end = DEMO_ANOMALY.start(TODAY), DEMO_ANOMALY.end(TODAY) + timedelta(days=1)
        answer = ce.get_cost_and_usage(
            TimePeriod={"Start": start.isoformat(), "End": end.isoformat()},
            Granularity="MONTHLY",
            Metrics=["UnblendedCost"],
            GroupBy=[{"Type": "TAG", "Key": "Team"}, {"Type": "DIMENSION", "Key": "REGION"}],
        )
        groups = {
            tuple(g["Keys"]): Decimal(g["Metrics"]["UnblendedCost"]["Amount"])
            for r in answer["ResultsByTime"]
            for g in r["Groups"]
        }
        expected = sum(
            (
                i.amount
                for i in items
                if start <= i.usage_date < end
                and i.tags.get("Team") == "search"
                and i.region == "eu-west-1"
            ),
            Decimal(0),
        )
        assert groups[("Team$search", "eu-west-1")] == expected
        assert ("Team$", "us-east-1") in groups
    finally:
        server.stop()


def test_forecast_of_the_demo_data_is_plausible(items: list[LineItem]) -> None:
    server = CostExplorerStandin(items, today=TODAY)
    last_month = sum(
        (i.amount for i in items if (i.usage_date.year, i.usage_date.month) == (2026, 10)),
        Decimal(0),
    )
    answer = server.handle(
        "GetCostForecast",
        {
            "TimePeriod": {"Start": "2026-11-27", "End": "2027-01-01"},
            "Metric": "UNBLENDED_COST",
            "Granularity": "MONTHLY",
        },
    )
    december = Decimal(answer["ForecastResultsByTime"][1]["MeanValue"])
    # Two months of ~10 % growth on October, Support and Tax included.
    assert last_month * Decimal("1.05") < december < last_month * Decimal("1.35")
    daily = server.handle(
        "GetCostForecast",
        {
            "TimePeriod": {"Start": "2026-11-29", "End": "2026-12-03"},
            "Metric": "UNBLENDED_COST",
            "Granularity": "DAILY",
        },
    )["ForecastResultsByTime"]
    by_day = {r["TimePeriod"]["Start"]: Decimal(r["MeanValue"]) for r in daily}
    # Support and Tax land on the 1st of the month.
    assert by_day["2026-12-01"] > 2 * by_day["2026-12-02"]
