"""bot.advice.metrics: GetMetricData batching (request counts) against moto, and the
average/p95 computed from hourly points."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.advice.metrics import (
    MAX_QUERIES_PER_CALL,
    METRIC_USAGE,
    MetricQuery,
    fetch_hourly,
    percentile,
    summarize,
)
from tests.orphans_fixtures import clear_aws_env

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    clear_aws_env(monkeypatch)
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


def count_calls(client: Any) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.monitoring.GetMetricData", lambda params, **_: calls.append(params)
    )
    return calls


def cpu(instance: str) -> MetricQuery:
    return MetricQuery(instance, "AWS/EC2", "CPUUtilization", {"InstanceId": instance})


def put_hours(client: Any, instance: str, values: list[float]) -> None:
    client.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "InstanceId", "Value": instance}],
                "Timestamp": NOW - timedelta(hours=len(values) - i),
                "Value": v,
                "Unit": "Percent",
            }
            for i, v in enumerate(values)
        ],
    )


@pytest.mark.parametrize(("series", "calls"), [(1, 1), (500, 1), (501, 2), (1001, 3)])
def test_one_call_per_500_queries(cloudwatch: Any, series: int, calls: int) -> None:
    seen = count_calls(cloudwatch)
    put_hours(cloudwatch, "i-0", [5.0, 7.0])
    before = (METRIC_USAGE.calls, METRIC_USAGE.metrics)
    result = fetch_hourly(
        cloudwatch, [cpu(f"i-{n}") for n in range(series)], start=NOW - timedelta(days=14), end=NOW
    )
    assert len(seen) == calls
    assert all(len(c["MetricDataQueries"]) <= MAX_QUERIES_PER_CALL for c in seen)
    assert result["i-0"] == [5.0, 7.0]
    assert len(result) == series
    assert all(result[f"i-{n}"] == [] for n in range(1, series))
    assert (METRIC_USAGE.calls - before[0], METRIC_USAGE.metrics - before[1]) == (calls, series)


def test_no_queries_no_calls(cloudwatch: Any) -> None:
    seen = count_calls(cloudwatch)
    assert fetch_hourly(cloudwatch, [], start=NOW - timedelta(days=1), end=NOW) == {}
    assert seen == []


def test_hourly_values_come_back_oldest_first(cloudwatch: Any) -> None:
    put_hours(cloudwatch, "i-a", [1.0, 2.0, 3.0, 4.0])
    values = fetch_hourly(cloudwatch, [cpu("i-a")], start=NOW - timedelta(days=1), end=NOW)
    assert values == {"i-a": [1.0, 2.0, 3.0, 4.0]}


def test_percentile_interpolates_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0.95) == pytest.approx(95.05)
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([10.0, 20.0], 0.5) == 15.0
    with pytest.raises(ValueError):
        percentile([], 0.95)


def test_summary_of_hours() -> None:
    summary = summarize([2.0] * 19 + [40.0])
    assert summary is not None
    assert summary.hours == 20
    assert summary.average == pytest.approx(3.9)
    assert summary.maximum == 40.0
    assert summary.p95 == pytest.approx(2.0 + 38.0 * 0.05)
    assert summarize([]) is None
