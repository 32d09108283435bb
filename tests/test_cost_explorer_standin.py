"""The Cost Explorer stand-in, driven through a real boto3 `ce` client over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from standins.cost_explorer import CostExplorerStandin, LineItem

TODAY = date(2025, 3, 15)
PROD, DEV = "111111111111", "222222222222"
EC2 = "Amazon Elastic Compute Cloud - Compute"
S3 = "Amazon Simple Storage Service"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def make_items() -> list[LineItem]:
    """Jan 1 .. Mar 14 2025: 2 accounts x 2 services x 3 tag states, odd 10-place amounts."""
    items = []
    day = date(2025, 1, 1)
    n = 0
    while day < TODAY:
        for account in (PROD, DEV):
            for service, usage_type in ((EC2, "USE1-BoxUsage:m5.large"), (S3, "USE1-Requests")):
                for tags in ({"Team": "payments"}, {"Team": "search", "Env": "prod"}, {}):
                    n += 1
                    amount = Decimal(n % 97) + Decimal("0.0123456789") * (n % 7)
                    items.append(
                        LineItem(
                            usage_date=day,
                            account_id=account,
                            region="us-east-1",
                            service=service,
                            usage_type=usage_type,
                            amount=amount,
                            tags=tags,
                            usage_quantity=Decimal(n % 5),
                        )
                    )
        day += timedelta(days=1)
    return items


ITEMS = make_items()


def expected(
    start: date, end: date, where: Callable[[LineItem], bool] = lambda item: True
) -> Decimal:
    """The exact sum of the fixture's amounts in [start, end) that satisfy `where`."""
    return sum((i.amount for i in ITEMS if start <= i.usage_date < end and where(i)), Decimal(0))


def client(url: str, config: Config | None = None) -> Any:
    return boto3.client(
        "ce",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


@pytest.fixture(scope="module")
def standin() -> Iterator[CostExplorerStandin]:
    server = CostExplorerStandin(ITEMS, today=TODAY, account_names={PROD: "prod", DEV: "dev"})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ce(standin: CostExplorerStandin) -> Any:
    standin.reset_counters()
    assert standin.url
    return client(standin.url)


def period(start: str, end: str) -> dict[str, str]:
    return {"Start": start, "End": end}


def amount(metrics: dict[str, Any], name: str = "UnblendedCost") -> Decimal:
    return Decimal(metrics[name]["Amount"])


def all_pages(ce: Any, **params: Any) -> list[dict[str, Any]]:
    """Every page of a GetCostAndUsage call (botocore has no paginator for it)."""
    pages = [ce.get_cost_and_usage(**params)]
    while "NextPageToken" in pages[-1]:
        pages.append(ce.get_cost_and_usage(NextPageToken=pages[-1]["NextPageToken"], **params))
    return pages


# -- GetCostAndUsage -------------------------------------------------------------------


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


# -- failures, counting ----------------------------------------------------------------


def test_throttling_surfaces_as_limit_exceeded(standin: CostExplorerStandin) -> None:
    standin.reset_counters()
    assert standin.url
    ce = client(standin.url, NO_RETRY)
    standin.fail_next(1)
    args = {
        "TimePeriod": period("2025-02-01", "2025-02-02"),
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
    }
    with pytest.raises(ce.exceptions.LimitExceededException) as error:
        ce.get_cost_and_usage(**args)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The next request is answered normally.
    assert ce.get_cost_and_usage(**args)["ResultsByTime"]
    assert standin.request_count == 2


def test_botocore_retries_through_throttling(standin: CostExplorerStandin) -> None:
    standin.reset_counters()
    assert standin.url
    ce = client(standin.url, Config(retries={"mode": "standard", "max_attempts": 3}))
    standin.fail_next(2)
    answer = ce.get_cost_and_usage(
        TimePeriod=period("2025-02-01", "2025-02-02"),
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
    )
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    assert standin.request_count == 3


def test_server_errors_surface_with_their_status(ce: Any, standin: CostExplorerStandin) -> None:
    assert standin.url
    ce = client(standin.url, NO_RETRY)
    standin.fail_next(1, "InternalFailure", 500)
    with pytest.raises(ClientError) as error:
        ce.get_tags(TimePeriod=period("2025-02-01", "2025-03-01"))
    assert error.value.response["Error"]["Code"] == "InternalFailure"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_requests_are_counted_and_logged(ce: Any, standin: CostExplorerStandin) -> None:
    ce.get_tags(TimePeriod=period("2025-02-01", "2025-03-01"))
    ce.get_dimension_values(TimePeriod=period("2025-02-01", "2025-03-01"), Dimension="SERVICE")
    assert standin.request_count == 2
    assert [op for op, _ in standin.requests] == ["GetTags", "GetDimensionValues"]
    assert standin.requests[1][1]["Dimension"] == "SERVICE"
    standin.reset_counters()
    assert standin.request_count == 0 and standin.requests == []


def test_unknown_operation(ce: Any) -> None:
    with pytest.raises(ClientError) as error:
        ce.get_anomalies(DateInterval={"StartDate": "2025-02-01"}, MonitorArn="arn:x")
    assert error.value.response["Error"]["Code"] == "UnknownOperationException"


def test_no_paginator_for_get_cost_and_usage(ce: Any) -> None:
    assert not ce.can_paginate("get_cost_and_usage")


def test_endpoint_from_environment(
    standin: CostExplorerStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert standin.url
    standin.reset_counters()
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", standin.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    ce = boto3.Session().client(
        "ce",
        region_name="us-east-1",
        config=Config(connect_timeout=2, retries={"total_max_attempts": 1, "mode": "standard"}),
    )
    assert ce.meta.endpoint_url == standin.url
    answer = ce.get_cost_and_usage(
        TimePeriod=period("2025-02-01", "2025-02-02"),
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
    )
    assert amount(answer["ResultsByTime"][0]["Total"]) == expected(
        date(2025, 2, 1), date(2025, 2, 2)
    )
    assert standin.request_count == 1


def test_today_can_be_a_callable() -> None:
    days = iter([date(2025, 2, 1), date(2025, 3, 1)])
    server = CostExplorerStandin(ITEMS, today=lambda: next(days))
    ask = {
        "TimePeriod": {"Start": "2025-01-30", "End": "2025-01-31"},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
    }
    assert server.handle("GetCostAndUsage", ask)["ResultsByTime"][0]["Estimated"] is True
    assert server.handle("GetCostAndUsage", ask)["ResultsByTime"][0]["Estimated"] is False


def test_line_items_refuse_floats() -> None:
    with pytest.raises(TypeError):
        LineItem(TODAY, PROD, "us-east-1", EC2, "BoxUsage", 1.5)  # type: ignore[arg-type]


# -- GetCostForecast -------------------------------------------------------------------


def test_forecast_shape_and_consistency(ce: Any) -> None:
    answer = ce.get_cost_forecast(
        TimePeriod=period("2025-03-15", "2025-05-01"),
        Metric="UNBLENDED_COST",
        Granularity="MONTHLY",
        PredictionIntervalLevel=90,
    )
    results = answer["ForecastResultsByTime"]
    assert [r["TimePeriod"] for r in results] == [
        period("2025-03-15", "2025-04-01"),
        period("2025-04-01", "2025-05-01"),
    ]
    means = [Decimal(r["MeanValue"]) for r in results]
    assert Decimal(answer["Total"]["Amount"]) == sum(means)
    assert answer["Total"]["Unit"] == "USD"
    for r in results:
        assert (
            Decimal(r["PredictionIntervalLowerBound"])
            < Decimal(r["MeanValue"])
            < Decimal(r["PredictionIntervalUpperBound"])
        )
    # About the recent daily run rate times the number of days.
    recent = expected(date(2025, 2, 15), TODAY) / 28
    assert recent * 17 * Decimal("0.8") < means[0] < recent * 17 * Decimal("1.2")


def test_forecast_is_deterministic_and_filterable(ce: Any) -> None:
    args = {
        "TimePeriod": period("2025-03-15", "2025-03-22"),
        "Metric": "NET_UNBLENDED_COST",
        "Granularity": "DAILY",
    }
    first, second = ce.get_cost_forecast(**args), ce.get_cost_forecast(**args)
    assert first["ForecastResultsByTime"] == second["ForecastResultsByTime"]
    assert len(first["ForecastResultsByTime"]) == 7
    s3_only = ce.get_cost_forecast(
        Filter={"Dimensions": {"Key": "SERVICE", "Values": [S3]}}, **args
    )
    assert Decimal(s3_only["Total"]["Amount"]) < Decimal(first["Total"]["Amount"])


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"TimePeriod": period("2025-03-14", "2025-04-01")}, "ValidationException"),
        ({"TimePeriod": period("2025-03-20", "2025-03-20")}, "ValidationException"),
        ({"Metric": "USAGE_QUANTITY"}, "ValidationException"),
        (
            {"Granularity": "DAILY", "TimePeriod": period("2025-03-15", "2025-08-01")},
            "ValidationException",
        ),
    ],
)
def test_forecast_errors(ce: Any, change: dict[str, Any], code: str) -> None:
    args = {
        "TimePeriod": period("2025-03-15", "2025-04-01"),
        "Metric": "UNBLENDED_COST",
        "Granularity": "MONTHLY",
        **change,
    }
    with pytest.raises(ClientError) as error:
        ce.get_cost_forecast(**args)
    assert error.value.response["Error"]["Code"] == code


def test_forecast_without_history_is_data_unavailable() -> None:
    recent_only = [i for i in ITEMS if i.usage_date >= date(2025, 3, 10)]
    server = CostExplorerStandin(recent_only, today=TODAY)
    url = server.start()
    try:
        ce = client(url, NO_RETRY)
        with pytest.raises(ce.exceptions.DataUnavailableException):
            ce.get_cost_forecast(
                TimePeriod=period("2025-03-15", "2025-04-01"),
                Metric="UNBLENDED_COST",
                Granularity="MONTHLY",
            )
    finally:
        server.stop()


# -- GetDimensionValues, GetTags -------------------------------------------------------


def test_dimension_values(ce: Any) -> None:
    answer = ce.get_dimension_values(
        TimePeriod=period("2025-02-01", "2025-03-01"), Dimension="LINKED_ACCOUNT"
    )
    assert answer["DimensionValues"] == [
        {"Value": PROD, "Attributes": {"description": "prod"}},
        {"Value": DEV, "Attributes": {"description": "dev"}},
    ]
    assert answer["ReturnSize"] == answer["TotalSize"] == 2
    assert "NextPageToken" not in answer
    services = ce.get_dimension_values(
        TimePeriod=period("2025-02-01", "2025-03-01"), Dimension="SERVICE", SearchString="storage"
    )
    assert [v["Value"] for v in services["DimensionValues"]] == [S3]


def test_tags_keys_and_values(ce: Any) -> None:
    keys = ce.get_tags(TimePeriod=period("2025-02-01", "2025-03-01"))
    assert keys["Tags"] == ["Env", "Team"]
    values = ce.get_tags(TimePeriod=period("2025-02-01", "2025-03-01"), TagKey="Team")
    assert values["Tags"] == ["payments", "search"]
    assert values["TotalSize"] == 2


def test_dimension_values_are_paged() -> None:
    server = CostExplorerStandin(ITEMS, today=TODAY, page_size=1)
    url = server.start()
    try:
        ce = client(url)
        args = {"TimePeriod": period("2025-02-01", "2025-03-01"), "Dimension": "SERVICE"}
        first = ce.get_dimension_values(**args)
        assert first["ReturnSize"] == 1 and first["TotalSize"] == 2
        second = ce.get_dimension_values(NextPageToken=first["NextPageToken"], **args)
        assert "NextPageToken" not in second
        values = [v["Value"] for v in first["DimensionValues"] + second["DimensionValues"]]
        assert values == [EC2, S3]
        tags = ce.get_tags(TimePeriod=args["TimePeriod"], TagKey="Team")
        assert tags["Tags"] == ["payments"] and tags["NextPageToken"]
    finally:
        server.stop()
