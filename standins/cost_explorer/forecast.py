"""GetCostForecast: a deterministic forecast from the last four weeks of history.

Steady spend: each day is the median of the same weekday over the last 28 days, scaled by
a robust trend (Theil-Sen over those 28 days, so a short spike barely moves it). Charges
billed on the 1st (Support, Tax, fees) repeat on each 1st. The prediction interval is the
spread of history around that model, widened with the horizon.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .dataset import Dataset
from .errors import CostExplorerError, validation
from .filters import Predicate, compile_filter
from .periods import Period, add_months, buckets, check_granularity, parse_period

FORECAST_METRICS = frozenset(
    {"BLENDED_COST", "UNBLENDED_COST", "AMORTIZED_COST", "NET_UNBLENDED_COST", "NET_AMORTIZED_COST"}
)
HISTORY_DAYS = 28
#: Charges billed once a month, on the 1st: forecast as a repeat of the latest ones.
MONTH_START_RECORD_TYPES = frozenset({"Support", "Tax", "Fee", "RIFee", "SavingsPlanRecurringFee"})
MIN_HISTORY_DAYS = 14
_PLACES = Decimal("0.0000000001")


def _money(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(_PLACES)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value != 0 else "0"


def _check(params: dict[str, Any], today: date) -> tuple[Period, str, float]:
    if "TimePeriod" not in params:
        raise validation("TimePeriod is required")
    period = parse_period(params["TimePeriod"])
    if period.start < today:
        raise validation("Start date must be equal to or later than the current date")
    granularity = check_granularity(params.get("Granularity"))
    if granularity == "DAILY" and period.end > today + timedelta(days=93):
        raise validation("DAILY forecasts are available for up to 3 months")
    if granularity == "MONTHLY" and period.end > add_months(today, 18):
        raise validation("MONTHLY forecasts are available for up to 18 months")
    metric = params.get("Metric")
    if metric not in FORECAST_METRICS:
        raise validation(
            f"Metric {metric!r} is not valid for GetCostForecast. "
            f"Valid values: {', '.join(sorted(FORECAST_METRICS))}"
        )
    level = params.get("PredictionIntervalLevel", 80)
    if not isinstance(level, int) or isinstance(level, bool) or not 51 <= level <= 99:
        raise validation("PredictionIntervalLevel must be an integer between 51 and 99")
    return period, granularity, float(level)


class _Model:
    """Steady daily spend (per weekday, with a trend) plus charges billed on the 1st."""

    def __init__(self, dataset: Dataset, predicate: Predicate, today: date) -> None:
        steady: dict[date, float] = defaultdict(float)
        self.month_start = 0.0  # Support, Tax, fees: what the latest 1st of a month billed
        for item in dataset.items(Period(today - timedelta(days=35), today), predicate):
            if item.record_type in MONTH_START_RECORD_TYPES:
                self.month_start += float(item.amount)
            elif item.usage_date >= today - timedelta(days=HISTORY_DAYS):
                steady[item.usage_date] += float(item.amount)
        if sum(1 for value in steady.values() if value != 0) < MIN_HISTORY_DAYS:
            raise CostExplorerError(
                "DataUnavailableException",
                "Insufficient amount of historical data to generate forecast.",
            )
        self.days = Period(today - timedelta(days=HISTORY_DAYS), today).days()
        self.values = [steady.get(day, 0.0) for day in self.days]
        self.midpoint = today - timedelta(days=HISTORY_DAYS // 2)
        samples: dict[int, list[tuple[date, float]]] = defaultdict(list)
        for day, value in zip(self.days, self.values, strict=True):
            samples[day.weekday()].append((day, value))
        # Trend: Theil-Sen (median of pairwise slopes) over the days relative to their
        # weekday's median, so that a spike of a few days barely moves it. Clamped to about
        # +/-35 % a month.
        weekday_median = {w: statistics.median(v for _, v in s) for w, s in samples.items()}
        points = [
            (n, value / weekday_median[day.weekday()])
            for n, (day, value) in enumerate(zip(self.days, self.values, strict=True))
            if weekday_median[day.weekday()] > 0
        ]
        slopes = [
            (y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1 :]
        ]
        level = statistics.median(y for _, y in points) if points else 1.0
        growth = 1 + statistics.median(slopes) / level if slopes and level > 0 else 1.0
        self.growth = min(max(growth, 0.99), 1.01)
        self.base = {
            weekday: statistics.median(v / self._trend(d) for d, v in values)
            for weekday, values in samples.items()
        }
        residuals = [
            value / self.steady(day) - 1
            for day, value in zip(self.days, self.values, strict=True)
            if self.steady(day) > 0
        ]
        spread = statistics.pstdev(residuals) if len(residuals) > 1 else 0.0
        self.spread = min(max(spread, 0.02), 0.5)

    def _trend(self, day: date) -> float:
        return float(self.growth ** (day - self.midpoint).days)

    def steady(self, day: date) -> float:
        """The expected steady spend of a day."""
        return self.base[day.weekday()] * self._trend(day)

    def expected(self, day: date) -> float:
        """The expected spend of a day, month-start charges included."""
        return self.steady(day) + (self.month_start if day.day == 1 else 0.0)


def get_cost_forecast(params: dict[str, Any], *, dataset: Dataset, today: date) -> dict[str, Any]:
    """Answer one GetCostForecast request."""
    period, granularity, level = _check(params, today)
    model = _Model(dataset, compile_filter(params.get("Filter")), today)
    z = statistics.NormalDist().inv_cdf(0.5 + level / 200)

    results = []
    total = Decimal(0)
    for bucket in buckets(period, granularity):
        mean = lower = upper = Decimal(0)
        for day in bucket.days():
            expected = model.expected(day)
            width = z * model.spread * ((1 + (day - today).days / HISTORY_DAYS) ** 0.5)
            mean += _money(expected)
            lower += _money(max(expected * (1 - width), 0.0))
            upper += _money(expected * (1 + width))
        total += mean
        results.append(
            {
                "TimePeriod": bucket.as_json(),
                "MeanValue": _text(mean),
                "PredictionIntervalLowerBound": _text(lower),
                "PredictionIntervalUpperBound": _text(upper),
            }
        )
    return {
        "Total": {"Amount": _text(total), "Unit": dataset.currency},
        "ForecastResultsByTime": results,
    }
