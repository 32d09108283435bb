"""CloudWatch series for advice: hourly averages fetched in batches with GetMetricData
(up to 500 queries per call), and average/p95/max computed here from those hourly
points — one query per series, and it works against moto, which has no percentiles.

GetMetricData is billed per metric requested ($0.01 per 1,000): every call is counted and
logged with the running total, like Cost Explorer requests.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

log = logging.getLogger(__name__)

#: GetMetricData accepts at most this many queries in one call.
MAX_QUERIES_PER_CALL = 500
#: What CloudWatch charges for each metric a GetMetricData call requests.
PRICE_PER_METRIC = Decimal("0.00001")


@dataclass
class MetricUsage:
    """A thread-safe count of GetMetricData calls and metrics requested in this process."""

    calls: int = 0
    metrics: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, metrics: int) -> None:
        """Count one call requesting `metrics` metrics, and log the running totals."""
        from bot.observability.metrics import count_billed

        with self._lock:
            self.calls += 1
            self.metrics += metrics
            calls, total = self.calls, self.metrics
        count_billed(
            "cloudwatch",
            "GetMetricData",
            unit="metrics",
            units=metrics,
            dollars=PRICE_PER_METRIC * metrics,
        )
        log.info(
            "CloudWatch GetMetricData: %d metric(s); %d call(s), %d metric(s) so far in "
            "this process ($%s)",
            metrics,
            calls,
            total,
            PRICE_PER_METRIC * total,
        )


#: The process-wide usage (tests read deltas).
METRIC_USAGE = MetricUsage()


@dataclass(frozen=True)
class MetricQuery:
    """One series to fetch; `key` is the caller's name for it (an instance id, say)."""

    key: str
    namespace: str
    metric: str
    dimensions: dict[str, str] = field(default_factory=dict)
    stat: str = "Average"


@dataclass(frozen=True)
class Utilization:
    """Summary of hourly values (percent): mean, 95th percentile, maximum, how many hours."""

    average: float
    p95: float
    maximum: float
    hours: int


def _query(index: int, query: MetricQuery, period: int) -> dict[str, Any]:
    return {
        "Id": f"q{index}",
        "MetricStat": {
            "Metric": {
                "Namespace": query.namespace,
                "MetricName": query.metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in query.dimensions.items()],
            },
            "Period": period,
            "Stat": query.stat,
        },
        "ReturnData": True,
    }


def fetch_hourly(
    cloudwatch: Any,
    queries: Sequence[MetricQuery],
    *,
    start: datetime,
    end: datetime,
    period: int = 3600,
) -> dict[str, list[float]]:
    """Values per query key (oldest first; [] when CloudWatch has none), in
    ceil(len(queries) / 500) calls plus any NextToken pages."""
    found: dict[str, list[tuple[datetime, float]]] = {q.key: [] for q in queries}
    for first in range(0, len(queries), MAX_QUERIES_PER_CALL):
        batch = list(queries[first : first + MAX_QUERIES_PER_CALL])
        by_id = {f"q{i}": q.key for i, q in enumerate(batch)}
        request = {
            "MetricDataQueries": [_query(i, q, period) for i, q in enumerate(batch)],
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        token: str | None = None
        while True:
            page = cloudwatch.get_metric_data(**request, **({"NextToken": token} if token else {}))
            METRIC_USAGE.add(len(batch))
            for result in page.get("MetricDataResults", []):
                key = by_id.get(result.get("Id", ""))
                if key is not None:
                    found[key] += zip(
                        result.get("Timestamps", []), result.get("Values", []), strict=False
                    )
            token = page.get("NextToken")
            if not token:
                break
    return {
        key: [float(v) for _, v in sorted(points, key=lambda p: p[0])]
        for key, points in found.items()
    }


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` (0 to 1) percentile with linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = share * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values: Sequence[float]) -> Utilization | None:
    """Average, p95 and maximum of hourly values (None when there are none)."""
    if not values:
        return None
    return Utilization(
        average=sum(values) / len(values),
        p95=percentile(values, 0.95),
        maximum=max(values),
        hours=len(values),
    )
