"""The Cost Explorer stand-in's GetCostAndUsage, driven through a real boto3 `ce` client
over HTTP (failures, forecasts and dimension values: test_cost_explorer_standin_api.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from standins.cost_explorer import CostExplorerStandin, LineItem
from tests.ce_standin_fixtures import (  # noqa: F401 - fixtures
    DEV,
    EC2,
    ITEMS,
    PROD,
    S3,
    TODAY,
    all_pages,
    amount,
    ce,
    client,
    expected,
    period,
    standin,
)


def test_monthly_totals_are_the_exact_decimal_sums(ce: Any) -> None:
    answer = ce.get_cost_and_usage(
        TimePeriod=period("2025-01-01", "2025-03-01"),
        Granularity="MONTHLY",
        Metrics=["UnblendedCost", "AmortizedCost", "UsageQuantity"],
    )
    january, february = answer["ResultsByTime"]
    assert january["TimePeriod"] == period("2025-01-01", "2025-02-01")
    assert amount(january["Total"]) == expected(date(2025, 1, 1), date(2025, 2, 1))
    assert amount(february["Total"]) == expected(date(2025, 2, 1), date(2025, 3, 1))
    assert amount(january["Total"], "AmortizedCost") == amount(january["Total"])
    assert january["Total"]["UnblendedCost"]["Unit"] == "USD"
    quantity = sum((i.usage_quantity for i in ITEMS if i.usage_date < date(2025, 2, 1)), Decimal(0))
    assert amount(january["Total"], "UsageQuantity") == quantity
    assert january["Groups"] == [] and january["Estimated"] is False
    assert "GroupDefinitions" not in answer


def test_end_date_is_exclusive(ce: Any) -> None:
    answer = ce.get_cost_and_usage(
        TimePeriod=period("2025-01-01", "2025-01-03"), Granularity="DAILY", Metrics=["BlendedCost"]
    )
    days = [r["TimePeriod"]["Start"] for r in answer["ResultsByTime"]]
    assert days == ["2025-01-01", "2025-01-02"]
    second = answer["ResultsByTime"][1]
    assert amount(second["Total"], "BlendedCost") == expected(date(2025, 1, 2), date(2025, 1, 3))


def test_monthly_buckets_are_clipped_and_agree_with_daily(ce: Any) -> None:
    args = {"TimePeriod": period("2025-01-15", "2025-03-10"), "Metrics": ["UnblendedCost"]}
    monthly = ce.get_cost_and_usage(Granularity="MONTHLY", **args)["ResultsByTime"]
    daily = ce.get_cost_and_usage(Granularity="DAILY", **args)["ResultsByTime"]
    assert [r["TimePeriod"] for r in monthly] == [
        period("2025-01-15", "2025-02-01"),
        period("2025-02-01", "2025-03-01"),
        period("2025-03-01", "2025-03-10"),
    ]
    assert len(daily) == (date(2025, 3, 10) - date(2025, 1, 15)).days
    total = expected(date(2025, 1, 15), date(2025, 3, 10))
    assert sum(amount(r["Total"]) for r in monthly) == total
    assert sum(amount(r["Total"]) for r in daily) == total


def test_days_without_data_still_have_a_bucket_and_data_stops_at_today(ce: Any) -> None:
    answer = ce.get_cost_and_usage(
        TimePeriod=period("2025-03-12", "2025-04-01"),
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
    )
    results = answer["ResultsByTime"]
    # Buckets run up to today (which has no data yet), not to the end of the month.
    assert [r["TimePeriod"]["Start"] for r in results] == [
        "2025-03-12",
        "2025-03-13",
        "2025-03-14",
        "2025-03-15",
    ]
    assert results[-1]["Total"]["UnblendedCost"] == {"Amount": "0", "Unit": "USD"}
    # Estimated: the last two days before today (estimated_days=2) and today.
    assert [r["Estimated"] for r in results] == [False, True, True, True]


def test_group_by_tag_keys_include_the_untagged_bucket(ce: Any) -> None:
    answer = ce.get_cost_and_usage(
        TimePeriod=period("2025-02-01", "2025-03-01"),
        Granularity="MONTHLY",
        Metrics=["UnblendedCost"],
        GroupBy=[{"Type": "TAG", "Key": "Team"}],
    )
    assert answer["GroupDefinitions"] == [{"Type": "TAG", "Key": "Team"}]
    (result,) = answer["ResultsByTime"]
    assert result["Total"] == {}
    groups = {g["Keys"][0]: amount(g["Metrics"]) for g in result["Groups"]}
    assert set(groups) == {"Team$", "Team$payments", "Team$search"}
    feb = (date(2025, 2, 1), date(2025, 3, 1))
    assert groups["Team$"] == expected(*feb, lambda i: "Team" not in i.tags)
    assert groups["Team$search"] == expected(*feb, lambda i: i.tags.get("Team") == "search")
    assert sum(groups.values()) == expected(*feb)


def test_two_level_group_by(ce: Any) -> None:
    answer = ce.get_cost_and_usage(
        TimePeriod=period("2025-01-01", "2025-02-01"),
        Granularity="MONTHLY",
        Metrics=["UnblendedCost"],
        GroupBy=[
            {"Type": "DIMENSION", "Key": "SERVICE"},
            {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
        ],
    )
    groups = {tuple(g["Keys"]): amount(g["Metrics"]) for g in answer["ResultsByTime"][0]["Groups"]}
    assert set(groups) == {(EC2, PROD), (EC2, DEV), (S3, PROD), (S3, DEV)}
    jan = (date(2025, 1, 1), date(2025, 2, 1))
    assert groups[(S3, DEV)] == expected(*jan, lambda i: i.service == S3 and i.account_id == DEV)
    # Linked accounts come with their names, as AWS does.
    assert {
        a["Value"]: a["Attributes"]["description"] for a in answer["DimensionValueAttributes"]
    } == {
        PROD: "prod",
        DEV: "dev",
    }


@pytest.mark.parametrize(
    ("expression", "where"),
    [
        (
            {
                "And": [
                    {"Dimensions": {"Key": "SERVICE", "Values": [EC2]}},
                    {"Tags": {"Key": "Team", "Values": ["payments"]}},
                ]
            },
            lambda i: i.service == EC2 and i.tags.get("Team") == "payments",
        ),
        (
            {
                "Or": [
                    {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [DEV]}},
                    {"Tags": {"Key": "Team", "Values": ["search"], "MatchOptions": ["EQUALS"]}},
                ]
            },
            lambda i: i.account_id == DEV or i.tags.get("Team") == "search",
        ),
        (
            {"Not": {"Dimensions": {"Key": "SERVICE", "Values": [S3]}}},
            lambda i: i.service != S3,
        ),
        (
            {"Tags": {"Key": "Team", "MatchOptions": ["ABSENT"]}},
            lambda i: "Team" not in i.tags,
        ),
        (
            {"Tags": {"Key": "Team", "Values": [""]}},
            lambda i: "Team" not in i.tags,
        ),
        (
            {"Tags": {"Key": "Team", "Values": ["search", ""]}},
            lambda i: i.tags.get("Team", "search") == "search",
        ),
    ],
    ids=["and", "or", "not", "absent", "empty-value", "value-or-untagged"],
)
def test_filters(ce: Any, expression: dict[str, Any], where: Callable[[LineItem], bool]) -> None:
    answer = ce.get_cost_and_usage(
        TimePeriod=period("2025-02-01", "2025-03-01"),
        Granularity="MONTHLY",
        Metrics=["UnblendedCost"],
        Filter=expression,
    )
    got = amount(answer["ResultsByTime"][0]["Total"])
    want = expected(date(2025, 2, 1), date(2025, 3, 1), where)
    assert got == want
    assert 0 < want < expected(date(2025, 2, 1), date(2025, 3, 1))


def test_pagination_covers_every_group_once() -> None:
    server = CostExplorerStandin(ITEMS, today=TODAY, page_size=7)
    url = server.start()
    try:
        ce = client(url)
        params = {
            "TimePeriod": period("2025-01-01", "2025-01-11"),
            "Granularity": "DAILY",
            "Metrics": ["UnblendedCost"],
            "GroupBy": [{"Type": "TAG", "Key": "Team"}, {"Type": "DIMENSION", "Key": "SERVICE"}],
        }
        pages = all_pages(ce, **params)
        # 10 days x 3 tag values x 2 services = 60 groups, 7 a page.
        assert len(pages) == 9
        assert server.request_count == 9
        assert all(sum(len(r["Groups"]) for r in p["ResultsByTime"]) <= 7 for p in pages)
        seen = [
            (r["TimePeriod"]["Start"], tuple(g["Keys"]))
            for p in pages
            for r in p["ResultsByTime"]
            for g in r["Groups"]
        ]
        assert len(seen) == len(set(seen)) == 60
        total = sum(
            amount(g["Metrics"]) for p in pages for r in p["ResultsByTime"] for g in r["Groups"]
        )
        assert total == expected(date(2025, 1, 1), date(2025, 1, 11))
        token = pages[0]["NextPageToken"]
        assert "offset" not in token and not token.isdigit()

        with pytest.raises(ClientError) as bad:
            ce.get_cost_and_usage(NextPageToken=token[:-3] + "xyz", **params)
        assert bad.value.response["Error"]["Code"] == "InvalidNextTokenException"
        changed = dict(params, Metrics=["BlendedCost"])
        with pytest.raises(ClientError) as moved:
            ce.get_cost_and_usage(NextPageToken=token, **changed)
        assert moved.value.response["Error"]["Code"] == "RequestChangedException"
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TimePeriod": period("2025-02-01", "2025-02-01")}, "before end date"),
        ({"TimePeriod": period("2025-02-10", "2025-02-01")}, "before end date"),
        ({"TimePeriod": period("2023-12-01", "2024-01-01")}, "too old"),
        ({"TimePeriod": period("2025-03-01", "2025-05-01")}, "beginning of next month"),
        ({"TimePeriod": period("2025-03-16", "2025-03-20")}, "after the current date"),
        ({"Metrics": ["Dollars"]}, "Dollars"),
        ({"Granularity": "WEEKLY"}, "Granularity"),
        ({"Granularity": "HOURLY"}, "Hourly"),
        (
            {
                "GroupBy": [
                    {"Type": "DIMENSION", "Key": k} for k in ("SERVICE", "REGION", "RECORD_TYPE")
                ]
            },
            "up to 2",
        ),
        ({"GroupBy": [{"Type": "DIMENSION", "Key": "COLOUR"}]}, "COLOUR"),
        ({"GroupBy": [{"Type": "DIMENSION", "Key": "AZ"}]}, "not supported"),
        (
            {
                "Filter": {
                    "Dimensions": {"Key": "SERVICE", "Values": [S3]},
                    "Tags": {"Key": "Team", "Values": ["a"]},
                }
            },
            "exactly one",
        ),
        ({"Filter": {"And": [{"Dimensions": {"Key": "SERVICE", "Values": [S3]}}]}}, "at least 2"),
        (
            {
                "Filter": {
                    "Dimensions": {"Key": "SERVICE", "Values": [S3], "MatchOptions": ["ABSENT"]}
                }
            },
            "MatchOptions",
        ),
        ({"Filter": {}}, "exactly one"),
    ],
)
def test_validation_errors(ce: Any, change: dict[str, Any], message: str) -> None:
    params = {
        "TimePeriod": period("2025-02-01", "2025-03-01"),
        "Granularity": "MONTHLY",
        "Metrics": ["UnblendedCost"],
        **change,
    }
    with pytest.raises(ClientError) as error:
        ce.get_cost_and_usage(**params)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message in error.value.response["Error"]["Message"]


def test_upper_snake_metric_names_are_accepted(ce: Any) -> None:
    answer = ce.get_cost_and_usage(
        TimePeriod=period("2025-02-01", "2025-02-02"),
        Granularity="DAILY",
        Metrics=["UNBLENDED_COST"],
    )
    assert amount(answer["ResultsByTime"][0]["Total"], "UNBLENDED_COST") == expected(
        date(2025, 2, 1), date(2025, 2, 2)
    )
