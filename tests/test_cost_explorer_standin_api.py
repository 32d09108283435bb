"""The Cost Explorer stand-in's failures and counting, forecasts and dimension values,
driven through a real boto3 `ce` client over HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from standins.cost_explorer import CostExplorerStandin, LineItem
from tests.ce_standin_fixtures import (  # noqa: F401 - fixtures
    DEV,
    EC2,
    ITEMS,
    NO_RETRY,
    PROD,
    S3,
    TODAY,
    amount,
    ce,
    client,
    expected,
    period,
    standin,
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
